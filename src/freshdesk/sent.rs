//! Whether a write left for Freshdesk: a task may run its requests inside
//! [`track_writes`] and learn afterwards, even when the task was cancelled
//! while it waited on the rate budget, that no write was ever sent. The
//! dispatcher uses it to hand a step given up at a stop back without its
//! intent, so the next start sends it at once instead of looking for it.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

tokio::task_local! {
    static WRITE_SENT: Arc<AtomicBool>;
}

/// Runs `work`, setting `flag` once any request other than a GET is granted
/// by the budget (so is about to go on the wire).
pub fn track_writes<F: Future>(flag: Arc<AtomicBool>, work: F) -> impl Future<Output = F::Output> {
    WRITE_SENT.scope(flag, work)
}

/// Called by the transport as a write is granted.
pub(crate) fn note_write() {
    let _ = WRITE_SENT.try_with(|f| f.store(true, Ordering::SeqCst));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_write_inside_the_scope_sets_the_flag_and_outside_it_nothing_happens() {
        note_write(); // outside any scope: no panic, nothing to set
        let flag = Arc::new(AtomicBool::new(false));
        track_writes(flag.clone(), async {}).await;
        assert!(!flag.load(Ordering::SeqCst));
        track_writes(flag.clone(), async { note_write() }).await;
        assert!(flag.load(Ordering::SeqCst));
    }
}
