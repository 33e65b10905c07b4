//! A closed stop channel means stop (it must never become a busy loop).

use std::time::Duration;

use super::fast_pool;
use crate::harness::{T0, spawn_app};

#[tokio::test]
async fn the_pool_stops_when_its_stop_channel_closes() {
    let app = spawn_app().await;
    let d = app.daemon_with(fast_pool()).await;
    d.triggers.start_slot(T0, T0).await.unwrap();
    app.clock.set(T0);
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let dispatcher = d.dispatcher.clone();
    let run = tokio::spawn(async move { dispatcher.run(stop, false).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    drop(stop_tx);
    let done = tokio::time::timeout(Duration::from_secs(4), run).await;
    done.expect("run returned").unwrap().unwrap();
}
