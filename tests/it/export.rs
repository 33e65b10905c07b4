//! `export` as training data: lifecycles driven through the real dispatcher and
//! emulator, then exported by the real binary as JSON lines and as CSV.

use std::path::Path;
use std::process::Output;

use serde_json::Value;
use ticketsim::content::html_to_text;

use crate::harness::{MIN, T0, TestApp, spawn_app};
use crate::process::ticketsim;

/// Three lifecycles: one closed, one half way, one created only.
async fn three_lifecycles(app: &TestApp) {
    let d = app.daemon().await;
    let ticks: [(i64, &[i64]); 3] = [(0, &[0, 5, 10, 15, 20]), (60, &[0, 5]), (120, &[0])];
    for (start, offsets) in ticks {
        let at = T0 + start * MIN;
        d.triggers.start_slot(at, at).await.unwrap().unwrap();
        for offset in offsets {
            app.tick_at(&d, at + offset * MIN).await;
        }
    }
    d.store.close().await;
}

async fn export(db: &Path, args: &[&str]) -> Output {
    let dir = db.parent().unwrap();
    let name = db.file_name().unwrap().to_str().unwrap();
    let run = ticketsim(dir, &[])
        .args(["--db", name, "export"])
        .args(args)
        .output();
    tokio::time::timeout(std::time::Duration::from_secs(60), run)
        .await
        .unwrap()
        .unwrap()
}

fn jsonl(out: &Output) -> Vec<Value> {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// An RFC 4180 reader: quoted fields may hold commas, quotes ("") and newlines.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let (mut rows, mut row, mut field) = (vec![], vec![], String::new());
    let (mut quoted, mut chars) = (false, text.chars().peekable());
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(
        !quoted && field.is_empty() && row.is_empty(),
        "ends with a newline"
    );
    rows
}

#[tokio::test]
async fn the_export_has_the_plan_and_plain_text_of_each_message_for_training() {
    let app = spawn_app().await;
    three_lifecycles(&app).await;
    let records = jsonl(&export(&app.db, &[]).await);
    assert_eq!(records.len(), 3);
    let closed = &records[0];
    assert_eq!(closed["state"], "closed", "{closed}");
    for key in [
        "subject", "scenario", "category", "playbook", "tone", "priority", "type",
    ] {
        assert!(!closed[key].is_null(), "{key} missing: {closed}");
    }
    assert!(
        closed["tags"]
            .as_array()
            .unwrap()
            .contains(&"ticketsim".into())
    );
    let messages = closed["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 4);
    for m in messages {
        let (body, text) = (m["body"].as_str().unwrap(), m["text"].as_str().unwrap());
        assert_eq!(text, html_to_text(body));
        assert!(
            !text.is_empty() && !text.contains('<') && !text.contains("&#39;"),
            "{text}"
        );
    }

    let show = ticketsim(app.db.parent().unwrap(), &[])
        .args(["--db", "ticketsim.db", "show", "1", "--json"])
        .output()
        .await
        .unwrap();
    let show: Value = serde_json::from_slice(&show.stdout).unwrap();
    assert_eq!(
        show["lifecycle"], *closed,
        "show --json has the same record"
    );
}

#[tokio::test]
async fn the_csv_export_has_one_row_per_message_and_parses_back() {
    let app = spawn_app().await;
    three_lifecycles(&app).await;
    let records = jsonl(&export(&app.db, &[]).await);
    let out = export(&app.db, &["--format", "csv"]).await;
    assert!(out.status.success());
    let rows = parse_csv(&String::from_utf8(out.stdout).unwrap());
    let header = &rows[0];
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let expected: Vec<(String, String, String)> = records
        .iter()
        .flat_map(|r| {
            let id = r["lifecycle_id"].to_string();
            let subject = r["subject"].as_str().unwrap_or("").to_string();
            let msgs = r["messages"].as_array().unwrap().clone();
            msgs.into_iter().map(move |m| {
                (
                    id.clone(),
                    subject.clone(),
                    m["text"].as_str().unwrap().to_string(),
                )
            })
        })
        .collect();
    let got: Vec<(String, String, String)> = rows[1..]
        .iter()
        .inspect(|r| assert_eq!(r.len(), header.len(), "{r:?}"))
        .filter(|r| !r[col("text")].is_empty())
        .map(|r| {
            (
                r[col("lifecycle_id")].clone(),
                r[col("subject")].clone(),
                r[col("text")].clone(),
            )
        })
        .collect();
    assert_eq!(
        got, expected,
        "one row per message, lifecycle fields repeated"
    );
    assert!(expected.len() >= 6, "{expected:?}");
}

#[tokio::test]
async fn since_state_and_playbook_filter_the_export_and_bad_values_exit_2() {
    let app = spawn_app().await;
    three_lifecycles(&app).await;
    let ids = |out: Output| -> Vec<i64> {
        jsonl(&out)
            .iter()
            .map(|r| r["lifecycle_id"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(ids(export(&app.db, &["--state", "closed"]).await), [1]);
    assert_eq!(
        ids(export(&app.db, &["--since", "2026-01-01T00:30:00Z"]).await),
        [2, 3]
    );
    assert_eq!(
        ids(export(&app.db, &["--playbook", "classic"]).await),
        [1, 2, 3]
    );
    assert!(ids(export(&app.db, &["--playbook", "reopen"]).await).is_empty());
    assert!(
        ids(export(&app.db, &["--since", "24h"]).await).is_empty(),
        "all are older"
    );
    for (flag, value) in [
        ("--since", "yesterday"),
        ("--state", "done"),
        ("--playbook", "nope"),
    ] {
        let out = export(&app.db, &[flag, value]).await;
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag} {value}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(flag) && err.contains(value), "{err}");
        assert!(out.stdout.is_empty(), "nothing exported: {flag} {value}");
    }
}
