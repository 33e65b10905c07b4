//! Typed Freshdesk v2 client.
pub mod types;

/// TEMPORARY until the client lands.
#[derive(Clone)]
pub struct ApiKey(String);
impl ApiKey {
    pub fn new(s: impl Into<String>) -> Self {
        ApiKey(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}
impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}
