//! Opening databases: garbage, missing files, migrations of older schemas.

use super::*;

#[tokio::test]
async fn a_garbage_file_is_refused_as_another_programs_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.db");
    std::fs::write(&path, vec![b'x'; 8192]).unwrap();
    let err = Store::open(&path).await.unwrap_err();
    assert!(matches!(err, StoreError::Foreign { .. }), "{err}");
    assert!(err.to_string().contains("bad.db"));
    // left untouched
    assert_eq!(std::fs::read(&path).unwrap(), vec![b'x'; 8192]);
    let err = Store::open_read_only(&path).await.unwrap_err();
    assert!(matches!(err, StoreError::Foreign { .. }), "{err}");
}

#[tokio::test]
async fn read_only_open_of_a_missing_file_says_how_to_create_it() {
    let dir = tempfile::tempdir().unwrap();
    let err = Store::open_read_only(&dir.path().join("none.db"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("ticketsim demo"), "{err}");
    assert!(!dir.path().join("none.db").exists());
}

/// Rows as the daemon wrote them before playbooks: one lifecycle planned and
/// half done, one not planned yet (all five steps were inserted with the slot).
const BEFORE_PLAYBOOKS: &[&str] = &[
    "INSERT INTO slots VALUES (1, 1000, 'started', 1000, NULL), (2, 2000, 'started', 2000, NULL)",
    "INSERT INTO lifecycles (id, slot_id, state, seed, created_at, updated_at, contact_id,
     contact_name, agent_id, agent_name, subject, tags, ticket_id)
     VALUES (1, 1, 'agent_replied', 5, 1000, 1500, 11, 'Nadia', 22, 'Omar', 'Hi', '[]', 7)",
    "INSERT INTO lifecycles (id, slot_id, state, seed, created_at, updated_at)
     VALUES (2, 2, 'scheduled', 6, 2000, 2000)",
    "INSERT INTO steps (lifecycle_id, seq, stage, offset_ms, due_at, state) VALUES
     (1, 0, 'create', 0, 1000, 'done'), (1, 1, 'agent_reply', 5, 1005, 'done'),
     (1, 2, 'customer_reply', 10, 1010, 'pending'), (1, 3, 'resolve', 15, 1015, 'pending'),
     (1, 4, 'close', 20, 1020, 'pending'),
     (2, 0, 'create', 0, 2000, 'pending'), (2, 1, 'agent_reply', 5, 2005, 'pending'),
     (2, 2, 'customer_reply', 10, 2010, 'pending'), (2, 3, 'resolve', 15, 2015, 'pending'),
     (2, 4, 'close', 20, 2020, 'pending')",
    "INSERT INTO messages (lifecycle_id, stage, author_kind, author_id, body, sent_at,
     fd_conversation_id) VALUES
     (1, 'create', 'customer', 11, 'd', 1000, NULL), (1, 'agent_reply', 'agent', 22, 'a', 1005, 90),
     (1, 'customer_reply', 'customer', 11, 'c', NULL, NULL), (1, 'resolve', 'agent', 22, 'r', NULL, NULL)",
];

#[tokio::test]
async fn a_database_from_before_playbooks_is_migrated_keeping_its_history() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first");
    std::fs::create_dir(&first).unwrap();
    std::fs::write(
        first.join("20261121000000_initial.sql"),
        include_str!("../../migrations/20261121000000_initial.sql"),
    )
    .unwrap();
    let path = dir.path().join("old.db");
    let opts = base_options(&path).unwrap().create_if_missing(true);
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .connect_with(opts)
        .await
        .unwrap();
    let old = sqlx::migrate::Migrator::new(first.as_path()).await.unwrap();
    old.run(&pool).await.unwrap();
    for sql in BEFORE_PLAYBOOKS {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    pool.close().await;

    let s = Store::open(&path).await.unwrap();
    let l = s.lifecycle(1).await.unwrap();
    assert_eq!(l.plan.unwrap().playbook, "classic");
    let m = s
        .message(1, crate::domain::Stage::AgentReply)
        .await
        .unwrap();
    assert_eq!(
        (m.step_seq, m.fd_conversation_id, m.private),
        (1, Some(90), false)
    );
    assert_eq!(s.step_message(1, 3).await.unwrap().body, "r");
    assert_eq!(
        s.steps(1).await.unwrap().len(),
        5,
        "a planned lifecycle keeps its steps"
    );
    assert_eq!(
        s.steps(2).await.unwrap().len(),
        1,
        "an unplanned one keeps creation"
    );
    let next = s.claim_due(5_000, 10).await.unwrap();
    let kinds: Vec<_> = next.iter().map(|c| (c.lifecycle_id, c.seq)).collect();
    assert_eq!(kinds, [(1, 2), (2, 0)]);
}

#[tokio::test]
async fn opening_twice_keeps_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    Store::open(&path).await.unwrap().close().await;
    let s = Store::open(&path).await.unwrap();
    assert_eq!(s.status(0).await.unwrap().total, 0);
}
