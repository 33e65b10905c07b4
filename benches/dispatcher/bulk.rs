//! Fills a database with many lifecycles in one transaction, as the daemon would
//! have left them: step 0 done (the ticket exists), steps 1-4 open. The daemon's
//! own path (one slot, then one plan) is measured elsewhere; this only builds the
//! large backlogs that the claim, memory and start-up figures need.

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use std::path::Path;
use std::str::FromStr;

/// Where the open steps stand relative to `now`.
#[derive(Clone, Copy)]
pub enum Backlog {
    /// Every open step is due in the future (a quiet daemon with work ahead).
    Pending,
    /// The next step of every lifecycle is already due (after an outage).
    Overdue,
}

/// Adds `n` lifecycles (ids after those already there) to the database at `path`,
/// which `Store::open` has created and migrated.
pub async fn fill(path: &Path, n: i64, backlog: Backlog, now: i64) {
    let pool = open(path).await;
    let first: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM lifecycles")
        .fetch_one(&pool)
        .await
        .expect("max id");
    // step 1 due in an hour (pending) or a minute ago (overdue); 5 min apart after it
    let base = match backlog {
        Backlog::Pending => now + 3_600_000,
        Backlog::Overdue => now - 60_000,
    };
    let series =
        "WITH RECURSIVE n(i) AS (SELECT ?1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1 + ?2 - 1)";
    let statements = [
        format!(
            "{series} INSERT INTO slots (id, scheduled_at, state, inserted_at)
             SELECT i, ?3 - 600000000 - i, 'started', ?3 FROM n"
        ),
        format!(
            "{series} INSERT INTO lifecycles (id, slot_id, state, seed, created_at, updated_at,
                 contact_id, agent_id, subject, tags, playbook, ticket_id)
             SELECT i, i, 'open', i, ?3 - 60000, ?3, 1, 1, 'bench', '[]', 'classic', 1000000000 + i FROM n"
        ),
        format!(
            "{series} INSERT INTO steps (lifecycle_id, seq, stage, offset_ms, due_at, state)
             SELECT i, 0, 'create', 0, ?3 - 60000, 'done' FROM n"
        ),
    ];
    let mut tx = pool.begin().await.expect("begin");
    for sql in &statements {
        sqlx::query(sql)
            .bind(first)
            .bind(n)
            .bind(now)
            .execute(&mut *tx)
            .await
            .expect("fill");
    }
    for (seq, stage) in [
        (1, "agent_reply"),
        (2, "customer_reply"),
        (3, "resolve"),
        (4, "close"),
    ] {
        let sql = format!(
            "{series} INSERT INTO steps (lifecycle_id, seq, stage, offset_ms, due_at, state)
             SELECT i, ?4, ?5, ?4 * 300000, ?6 + (?4 - 1) * 300000, 'pending' FROM n"
        );
        sqlx::query(&sql)
            .bind(first)
            .bind(n)
            .bind(now)
            .bind(seq)
            .bind(stage)
            .bind(base)
            .execute(&mut *tx)
            .await
            .expect("fill steps");
    }
    tx.commit().await.expect("commit");
    settle(pool).await;
}

/// Adds `n` new slots (a lifecycle and its creation step each, as a cron firing
/// leaves them), the first due at `first_at`, then one every `gap_us`
/// microseconds.
pub async fn fill_new_slots(path: &Path, n: i64, first_at: i64, gap_us: i64) {
    let pool = open(path).await;
    let series = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)";
    let at = "(?2 + (i - 1) * ?3 / 1000)";
    let statements = [
        format!(
            "{series} INSERT INTO slots (id, scheduled_at, state, inserted_at)
             SELECT i, ?2 - 1000000000 - i, 'started', ?2 FROM n"
        ),
        format!(
            "{series} INSERT INTO lifecycles (id, slot_id, state, seed, created_at, updated_at)
             SELECT i, i, 'scheduled', i, {at}, ?2 FROM n"
        ),
        format!(
            "{series} INSERT INTO steps (lifecycle_id, seq, stage, offset_ms, due_at, state)
             SELECT i, 0, 'create', 0, {at}, 'pending' FROM n"
        ),
    ];
    let mut tx = pool.begin().await.expect("begin");
    for sql in &statements {
        sqlx::query(sql)
            .bind(n)
            .bind(first_at)
            .bind(gap_us)
            .execute(&mut *tx)
            .await
            .expect("fill new slots");
    }
    tx.commit().await.expect("commit");
    settle(pool).await;
}

async fn open(path: &Path) -> sqlx::SqlitePool {
    let url = format!("sqlite://{}", path.display());
    let opts = SqliteConnectOptions::from_str(&url)
        .expect("url")
        .journal_mode(SqliteJournalMode::Wal);
    SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(opts)
        .await
        .expect("open for filling")
}

/// Folds the WAL into the database, as a daemon that has run for a while has
/// it, so the figures measure the backlog and not a freshly written WAL.
async fn settle(pool: sqlx::SqlitePool) {
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&pool)
        .await
        .expect("checkpoint");
    pool.close().await;
}
