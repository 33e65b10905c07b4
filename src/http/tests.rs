use std::sync::Mutex;

use super::*;

/// A daemon stand-in whose readiness the test sets.
struct Fake(Mutex<Result<(), String>>);

impl Health for Fake {
    fn ready(&self) -> BoxFuture<'_, Result<(), String>> {
        let answer = self.0.lock().unwrap().clone();
        Box::pin(async move { answer })
    }
    fn metrics(&self) -> BoxFuture<'_, Scrape> {
        Box::pin(async {
            Scrape {
                content_type: "text/plain; version=0.0.4",
                body: "up 1\n".into(),
            }
        })
    }
}

async fn start(
    fake: Arc<Fake>,
    extra: Router,
) -> (
    String,
    watch::Sender<bool>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = watch::channel(false);
    let router = health_router(fake).merge(extra);
    (url, tx, tokio::spawn(serve(listener, router, rx)))
}

#[tokio::test]
async fn readyz_answers_503_with_the_reason_and_a_merged_router_is_served_beside() {
    let fake = Arc::new(Fake(Mutex::new(Err("database unreachable".into()))));
    let extra = Router::new().route("/webhooks/x", get(|| async { "hook" }));
    let (url, stop, server) = start(fake.clone(), extra).await;
    let http = reqwest::Client::new();
    let r = http.get(format!("{url}/readyz")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 503);
    assert!(r.text().await.unwrap().contains("database unreachable"));
    *fake.0.lock().unwrap() = Ok(());
    let r = http.get(format!("{url}/readyz")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let r = http.get(format!("{url}/healthz")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let r = http.get(format!("{url}/metrics")).send().await.unwrap();
    assert_eq!(r.headers()["content-type"], "text/plain; version=0.0.4");
    assert_eq!(r.text().await.unwrap(), "up 1\n");
    let r = http.get(format!("{url}/webhooks/x")).send().await.unwrap();
    assert_eq!(r.text().await.unwrap(), "hook");
    stop.send(true).unwrap();
    let ended = tokio::time::timeout(std::time::Duration::from_secs(5), server).await;
    assert!(
        ended.unwrap().unwrap().is_ok(),
        "the server stops when told"
    );
}
