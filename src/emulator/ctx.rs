//! What the pipeline hands every API handler about its request. A leaf, so
//! that the pipeline (which builds it) and the routes (which read it, and
//! which the pipeline wraps) do not import each other.

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::clock::UnixMs;

/// What the pipeline hands every API handler about its request.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    /// The JSON object body of a POST/PUT, if it had one.
    pub body: Option<Map<String, Value>>,
    /// `<scheme>://<host>` as the client addressed us.
    pub base_url: String,
    /// The path as sent (with any `.json` suffix).
    pub path: String,
    pub raw_query: Option<String>,
    /// When the request arrived; every timestamp it writes uses this.
    pub now: UnixMs,
}

pub(crate) type Req = axum::Extension<Arc<Ctx>>;
