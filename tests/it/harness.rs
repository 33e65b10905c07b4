//! `spawn_app()`: a fresh database, an emulator on 127.0.0.1:0 and a manual clock.

use std::path::PathBuf;
use std::sync::Arc;

use ticketsim::app::{Daemon, Schedule, client_for};
use ticketsim::clock::{Clock, ManualClock, UnixMs};
use ticketsim::dispatcher::DispatcherConfig;
use ticketsim::domain::StageOffsets;
use ticketsim::emulator::{Emulator, EmulatorConfig};
use ticketsim::freshdesk::{ApiKey, Client};

/// 2026-01-01T00:00:00Z: a whole hour, like the default cron's slots.
pub const T0: UnixMs = 1_767_225_600_000;
pub const MIN: i64 = 60_000;
pub const API_KEY: &str = "it-key-5f3e9c1d7a";

pub struct TestApp {
    pub emulator: Emulator,
    pub url: String,
    pub clock: ManualClock,
    pub db: PathBuf,
    _dir: tempfile::TempDir,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// Serves an emulator on a free loopback port; it stops when the sender drops.
pub async fn spawn_emulator(
    cfg: EmulatorConfig,
    clock: Arc<dyn Clock>,
) -> (Emulator, String, tokio::sync::oneshot::Sender<()>) {
    let emulator = Emulator::new(cfg, clock);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(emulator.clone().serve(listener, async {
        let _ = rx.await;
    }));
    (emulator, url, tx)
}

pub fn emulator_config() -> EmulatorConfig {
    EmulatorConfig {
        api_key: API_KEY.to_string(),
        seed: 7,
        agents: 3,
        contacts: 5,
        ..EmulatorConfig::default()
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(emulator_config()).await
}

pub async fn spawn_app_with(cfg: EmulatorConfig) -> TestApp {
    let clock = ManualClock::new(T0);
    let (emulator, url, stop) = spawn_emulator(cfg, Arc::new(clock.clone())).await;
    let dir = tempfile::tempdir().unwrap();
    TestApp {
        emulator,
        url,
        clock,
        db: dir.path().join("ticketsim.db"),
        _dir: dir,
        _stop: stop,
    }
}

impl TestApp {
    pub fn client(&self) -> Client {
        client_for(&self.url, ApiKey::new(API_KEY), 100_000).unwrap()
    }

    /// A daemon on the test's database, driven by the manual clock. Dropping
    /// it and building another is a restart.
    pub async fn daemon(&self) -> Daemon {
        self.daemon_with(DispatcherConfig {
            backoff_base_ms: 1_000,
            backoff_cap_ms: 10_000,
            ..Default::default()
        })
        .await
    }

    /// A daemon with this dispatcher configuration.
    pub async fn daemon_with(&self, dcfg: DispatcherConfig) -> Daemon {
        let schedule = Schedule {
            cron: "0 0 * * * *".into(),
            seed: 42,
            offsets: StageOffsets::DEFAULT,
        };
        let clock: Arc<dyn Clock> = Arc::new(self.clock.clone());
        Daemon::build(&self.db, self.client(), clock, &schedule, dcfg, None)
            .await
            .unwrap()
    }

    /// Sets the clock and runs one dispatcher round at that time.
    pub async fn tick_at(&self, d: &Daemon, at: UnixMs) -> usize {
        self.clock.set(at);
        d.dispatcher.tick(at).await.unwrap()
    }

    /// Requests the emulator received with this method whose path ends with `suffix`.
    pub fn count_requests(&self, method: &str, suffix: &str) -> usize {
        self.emulator
            .requests()
            .iter()
            .filter(|r| r.method == method && r.path.ends_with(suffix))
            .count()
    }
}
