//! The helpdesk's people (contacts, agents, groups), cached. Only the very
//! first load is waited for (nothing can be planned without people); after
//! that a stale copy is refreshed in the background and every step goes on
//! with the last good copy, so no step ever waits behind the refresh.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use super::Dispatcher;
use super::plan::People;
use super::steps::StepError;
use crate::clock::UnixMs;

#[derive(Default)]
pub(super) struct Cache {
    /// The last good copy and when it was loaded.
    last: RwLock<Option<(UnixMs, Arc<People>)>>,
    /// A background refresh is running.
    refreshing: AtomicBool,
    /// Held only by the first load, so that concurrent steps load once.
    first_load: tokio::sync::Mutex<()>,
}

impl Cache {
    fn get(&self) -> Option<(UnixMs, Arc<People>)> {
        self.last.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn set(&self, at: UnixMs, people: Arc<People>) {
        *self.last.write().unwrap_or_else(|p| p.into_inner()) = Some((at, people));
    }
}

impl Dispatcher {
    /// The last good copy, never waiting (`None` before the first load).
    pub(super) fn cached_people(&self) -> Option<Arc<People>> {
        self.inner.people.get().map(|(_, p)| p)
    }

    /// The people to plan with: the cached copy (refreshed in the background
    /// once older than `people_ttl_ms`), or the first load.
    pub(super) async fn people(&self) -> Result<Arc<People>, StepError> {
        let cache = &self.inner.people;
        if let Some((at, people)) = cache.get() {
            if self.now() - at >= self.inner.cfg.people_ttl_ms {
                self.refresh_in_background();
            }
            return Ok(people);
        }
        let _first = cache.first_load.lock().await;
        if let Some((_, people)) = cache.get() {
            return Ok(people);
        }
        let people = self.load_people().await?;
        cache.set(self.now(), people.clone());
        Ok(people)
    }

    fn refresh_in_background(&self) {
        if self.inner.people.refreshing.swap(true, Ordering::AcqRel) {
            return;
        }
        let this = self.clone();
        tokio::spawn(async move {
            match this.load_people().await {
                Ok(people) => this.inner.people.set(this.now(), people),
                Err(e) => {
                    tracing::warn!(error = %e, "could not refresh the helpdesk's people; using the last good copy")
                }
            }
            this.inner.people.refreshing.store(false, Ordering::Release);
        });
    }

    async fn load_people(&self) -> Result<Arc<People>, StepError> {
        let client = &self.inner.client;
        let people = Arc::new(People::new(
            client.list_contacts().await?,
            client.list_agents().await?,
            client.list_groups().await?,
        ));
        tracing::info!(
            contacts = people.contacts.len(),
            agents = people.agents.len(),
            groups = people.groups.len(),
            "loaded the helpdesk's people"
        );
        Ok(people)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::clock::ManualClock;
    use crate::dispatcher::DispatcherConfig;
    use crate::freshdesk::{ApiKey, Client, ClientConfig};
    use crate::store::testutil::temp_store;

    /// A dispatcher whose Freshdesk accepts connections and never answers.
    async fn dispatcher_with_a_silent_helpdesk() -> (Dispatcher, ManualClock, tempfile::TempDir) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                held.push(socket);
            }
        });
        let client = Client::new(ClientConfig::new(&url, ApiKey::new("k-123456"))).unwrap();
        let (store, dir) = temp_store().await;
        let clock = ManualClock::new(1_000_000);
        let d = Dispatcher::new(
            store,
            client,
            Arc::new(clock.clone()),
            DispatcherConfig::default(),
            Arc::new(tokio::sync::Notify::new()),
            None,
        );
        (d, clock, dir)
    }

    #[tokio::test]
    async fn a_stale_people_cache_is_used_at_once_while_it_refreshes_in_the_background() {
        let (d, clock, _dir) = dispatcher_with_a_silent_helpdesk().await;
        let old = Arc::new(People::new(vec![], vec![], vec![]));
        d.inner.people.set(1_000_000, old.clone());
        clock.set(1_000_000 + DispatcherConfig::default().people_ttl_ms + 1);
        let got = tokio::time::timeout(Duration::from_millis(500), d.people())
            .await
            .expect("a step never waits for the refresh")
            .unwrap();
        assert!(Arc::ptr_eq(&got, &old), "the last good copy");
        assert!(d.inner.people.refreshing.load(Ordering::Acquire));
        assert!(d.cached_people().is_some());
    }
}
