//! The two ceilings the engine's throughput is measured against, on the same
//! machine, file system and runtime as the engine run: durable single-row
//! commits per second through sqlx, and loopback requests per second to the
//! emulator through the real client.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use ticketsim::freshdesk::Client;

/// Single-row `INSERT`s, each its own transaction, WAL and `synchronous=FULL`
/// (the settings the store uses), one after the other for `for_how_long`.
pub async fn commits_per_sec(dir: &Path, for_how_long: Duration) -> f64 {
    let url = format!("sqlite://{}", dir.join("ceiling.db").display());
    let opts = SqliteConnectOptions::from_str(&url)
        .expect("url")
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(opts)
        .await
        .expect("open");
    sqlx::query("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER NOT NULL)")
        .execute(&pool)
        .await
        .expect("create");
    let started = Instant::now();
    let mut n = 0u64;
    while started.elapsed() < for_how_long {
        sqlx::query("INSERT INTO t (v) VALUES (?1)")
            .bind(n as i64)
            .execute(&pool)
            .await
            .expect("insert");
        n += 1;
    }
    let rate = n as f64 / started.elapsed().as_secs_f64();
    pool.close().await;
    rate
}

/// `workers` tasks calling `GET /agents/me` through the real client, flat out.
pub async fn requests_per_sec(client: &Client, workers: usize, for_how_long: Duration) -> f64 {
    let started = Instant::now();
    let client = Arc::new(client.clone());
    let mut tasks = Vec::new();
    for _ in 0..workers {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            while started.elapsed() < for_how_long {
                client.me().await.expect("GET /agents/me");
                n += 1;
            }
            n
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.expect("worker");
    }
    total as f64 / started.elapsed().as_secs_f64()
}
