//! Its own test binary (one process, one global log subscriber, nothing else
//! logging): a whole lifecycle logged at TRACE never shows the API key.

#[allow(dead_code)]
#[path = "it/harness.rs"]
mod harness;

use harness::{MIN, T0, spawn_app};

/// Collects every log line (all levels) of this process.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn no_log_line_of_a_whole_lifecycle_contains_the_api_key() {
    use base64::Engine;
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    // The only test of this binary, so a global subscriber sees every line.
    tracing::subscriber::set_global_default(subscriber).unwrap();
    let app = spawn_app().await;
    let d = app.daemon().await;
    d.triggers.start_slot(T0, T0).await.unwrap();
    for at in [0, 5, 10, 15, 20] {
        assert_eq!(app.tick_at(&d, T0 + at * MIN).await, 1);
    }
    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(text.lines().count() > 10, "the lifecycle logged: {text}");
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{}:X", harness::API_KEY));
    assert!(!text.contains(harness::API_KEY), "API key in the logs");
    assert!(!text.contains(&basic), "Basic credentials in the logs");
}
