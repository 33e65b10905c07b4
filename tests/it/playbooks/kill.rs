//! The SIGKILL crash loop of `process.rs`, with the playbooks that add POSTs
//! (private notes, time entries) and field updates: none may be duplicated.

use std::collections::HashSet;
use std::path::Path;

use crate::harness::API_KEY;
use crate::process::{count_state, emulator_process, kill_loop_then_drain, status_json, ticketsim};

/// One lifecycle as `show --json` prints it: its ticket, its sent messages and
/// how many time entries its plan holds.
/// A lifecycle's ticket, message count and time entries; `None` if it has no
/// ticket (a slot the drain did not start).
async fn lifecycle(dir: &Path, id: i64) -> Option<(i64, usize, usize)> {
    let out = ticketsim(dir, &[])
        .args(["--db", "t.db", "show", &id.to_string(), "--json"])
        .output()
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ticket = v["lifecycle"]["ticket_id"].as_i64()?;
    let messages = v["lifecycle"]["messages"].as_array().unwrap().len();
    let steps = v["steps"].as_array().unwrap();
    let entries = steps.iter().filter(|s| s["stage"] == "time_entry").count();
    Some((ticket, messages, entries))
}

#[tokio::test]
async fn sigkill_with_notes_and_time_entries_never_duplicates_them() {
    let dir = tempfile::tempdir().unwrap();
    let (_emu, url) = emulator_process(dir.path()).await;
    let env = [
        ("FRESHDESK_URL", url.as_str()),
        ("FRESHDESK_API_KEY", API_KEY),
        ("TICKETSIM_CREATE_CRON", "* * * * * *"),
        ("TICKETSIM_STAGE_OFFSETS", "1s,2s,3s,4s"),
        ("TICKETSIM_PLAYBOOKS", "escalation,time-logged"),
        ("TICKETSIM_SEED", "11"),
        ("TICKETSIM_RATE_PER_MIN", "6000"),
        ("TICKETSIM_LOG", "debug"),
        // a recovered write is looked for 2 × this after its intent
        ("TICKETSIM_REQUEST_TIMEOUT", "2s"),
    ];
    let text = kill_loop_then_drain(dir.path(), &url, &env, 14, None, 20261201).await;
    let st = status_json(dir.path()).await;
    let total = st["total"].as_i64().unwrap();
    assert_eq!(
        count_state(&st, "closed") + count_state(&st, "scheduled"),
        total,
        "every lifecycle closed, but for slots a drain did not start: {st}"
    );
    assert!(total >= 5, "only {total} lifecycles");
    let recovered = text
        .matches("recovered steps interrupted by a crash")
        .count();
    assert!(
        recovered >= 4,
        "too few kills landed mid-step ({recovered})"
    );

    let client =
        ticketsim::app::client_for(&url, ticketsim::freshdesk::ApiKey::new(API_KEY), 100_000)
            .unwrap();
    let (mut notes, mut entries) = (0, 0);
    for id in 1..=total {
        let Some((ticket, messages, planned_entries)) = lifecycle(dir.path(), id).await else {
            continue;
        };
        let convs = client.list_conversations(ticket).await.unwrap();
        assert_eq!(
            convs.len(),
            messages - 1,
            "ticket {ticket}: one conversation per message"
        );
        let mut seen = HashSet::new();
        for c in &convs {
            assert!(
                seen.insert((c.user_id, c.body.clone())),
                "duplicate on ticket {ticket}"
            );
        }
        notes += convs.iter().filter(|c| c.private == Some(true)).count();
        let logged = client.list_time_entries(ticket).await.unwrap().len();
        assert_eq!(logged, planned_entries, "ticket {ticket}: time entries");
        entries += logged;
    }
    let found_entries = text
        .matches("found the time entry an interrupted attempt")
        .count();
    let found_messages = text
        .matches("found the message an interrupted attempt")
        .count();
    eprintln!(
        "crash test with playbooks: {total} lifecycles, {recovered} recoveries, {notes} private notes, \
         {entries} time entries; found after a crash: {found_messages} messages, {found_entries} time entries"
    );
    assert!(
        notes > 0 && entries > 0,
        "the playbooks with notes and time never ran"
    );
}
