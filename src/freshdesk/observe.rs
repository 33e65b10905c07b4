//! An optional observer of every HTTP response the client receives, for load
//! statistics. Without one set the client behaves exactly as before.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// One response (or a request that got none: `status` 0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    pub method: String,
    /// The path with ids replaced: `/api/v2/tickets/{id}/reply`.
    pub template: String,
    pub status: u16,
    /// From sending to the response's headers.
    pub latency: Duration,
    /// The `Retry-After` of a 429.
    pub retry_after: Option<Duration>,
}

/// Receives each [`Observed`] response; called on the request's task, so keep it short.
pub trait Observer: Send + Sync {
    fn observe(&self, response: &Observed);
}

/// A shared observer, as held by [`super::ClientConfig`].
#[derive(Clone)]
pub struct ObserverHook(pub Arc<dyn Observer>);

impl fmt::Debug for ObserverHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ObserverHook")
    }
}

/// `/api/v2/tickets/17/reply` → `/api/v2/tickets/{id}/reply`: numeric segments become `{id}`.
pub fn template(path: &str) -> String {
    path.split('/')
        .map(|seg| {
            if !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()) {
                "{id}"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_path_segments_become_an_id_placeholder() {
        assert_eq!(
            template("/api/v2/tickets/17/reply"),
            "/api/v2/tickets/{id}/reply"
        );
        assert_eq!(template("/api/v2/tickets"), "/api/v2/tickets");
        assert_eq!(
            template("/api/v2/tickets/3/time_entries/v2"),
            "/api/v2/tickets/{id}/time_entries/v2"
        );
    }
}

#[cfg(test)]
mod client_tests {
    use std::sync::Mutex;

    use serde_json::json;

    use super::super::stub::{Reply, Stub};
    use super::super::{Client, Note};
    use super::*;

    #[derive(Default)]
    struct Seen(Mutex<Vec<Observed>>);

    impl Observer for Seen {
        fn observe(&self, r: &Observed) {
            self.0.lock().unwrap().push(r.clone());
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_observer_sees_each_response_with_its_template_status_and_retry_after() {
        let stub = Stub::start().await;
        let limited = Reply::json(429, json!({"message": "slow down"})).header("retry-after", "3");
        let note = json!({"id": 5, "body": "x", "user_id": 1, "ticket_id": 7});
        stub.push([limited, Reply::json(201, note)]);
        let seen = Arc::new(Seen::default());
        let mut cfg = stub.config();
        cfg.observer = Some(ObserverHook(seen.clone()));
        let client = Client::new(cfg).unwrap();
        let body = Note {
            body: "x".into(),
            ..Default::default()
        };
        assert_eq!(client.add_note(7, &body).await.unwrap().id, 5);
        let seen = seen.0.lock().unwrap().clone();
        assert_eq!(seen.len(), 2);
        assert_eq!((seen[0].status, seen[1].status), (429, 201));
        assert_eq!(seen[0].retry_after, Some(Duration::from_secs(3)));
        assert_eq!(seen[1].retry_after, None);
        assert_eq!(seen[1].method, "POST");
        assert_eq!(seen[1].template, "/api/v2/tickets/{id}/notes");
    }
}
