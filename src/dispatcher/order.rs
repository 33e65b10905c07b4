//! In-flight steps go before new tickets, without holding new tickets back
//! behind work that came later.
//!
//! Every claimed step of a ticket in flight takes the next number and holds it
//! until its worker is done. A new ticket claimed after it takes a mark (the
//! next number at its claim) and sends nothing until every in-flight step
//! numbered below its mark is done. So a new ticket never goes before an
//! in-flight step claimed earlier, and never waits for one claimed later: it
//! cannot starve under a steady stream of replies.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;

#[derive(Default)]
pub(super) struct SendOrder {
    state: Mutex<State>,
    done: Notify,
}

#[derive(Default)]
struct State {
    next: u64,
    running: BTreeSet<u64>,
}

/// Held by the worker of an in-flight step; dropping it lets later new
/// tickets go.
pub(super) struct Turn {
    order: Arc<SendOrder>,
    number: u64,
}

impl SendOrder {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A number for an in-flight step just claimed.
    pub(super) fn in_flight(self: &Arc<Self>) -> Turn {
        let mut st = self.state();
        let number = st.next;
        st.next += 1;
        st.running.insert(number);
        Turn {
            order: self.clone(),
            number,
        }
    }

    /// The mark of a new ticket just claimed: the in-flight steps before it.
    pub(super) fn mark(&self) -> u64 {
        self.state().next
    }

    /// Resolves once no in-flight step numbered below `mark` is running.
    pub(super) async fn wait_for_earlier(&self, mark: u64) {
        loop {
            // Created before the check, so a step finishing in between wakes it.
            let finished = self.done.notified();
            if self.state().running.range(..mark).next().is_none() {
                return;
            }
            finished.await;
        }
    }

    /// How many in-flight steps are running.
    #[cfg(test)]
    fn running(&self) -> usize {
        self.state().running.len()
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        self.order.state().running.remove(&self.number);
        self.order.done.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn a_new_ticket_waits_for_earlier_in_flight_steps_only() {
        let order = Arc::new(SendOrder::default());
        let first = order.in_flight();
        let mark = order.mark();
        let later = order.in_flight();
        let waiting = tokio::spawn({
            let order = order.clone();
            async move { order.wait_for_earlier(mark).await }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished(), "the earlier reply still runs");
        drop(first);
        tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("not held back by the later reply")
            .unwrap();
        assert_eq!(order.running(), 1);
        drop(later);
        assert_eq!(order.running(), 0);
        order.wait_for_earlier(order.mark()).await;
    }
}
