//! `--state FILE`: the account survives a restart; a bad file is refused
//! with its name and left alone.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{Server, T0, start_with_emulator};
use crate::clock::ManualClock;
use crate::emulator::{Emulator, EmulatorConfig, StateFileError};

fn open(path: &Path) -> Result<Emulator, StateFileError> {
    Emulator::with_state_file(
        EmulatorConfig::default(),
        Arc::new(ManualClock::new(T0)),
        path,
    )
}

async fn state(s: &Server) -> Value {
    reqwest::get(format!("{}/_emulator/state", s.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_account_survives_a_restart_and_ids_continue() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("account.json");
    let first = start_with_emulator(open(&path).unwrap()).await;
    first.create_ticket(json!({"tags": ["kept"]})).await;
    first
        .post("/api/v2/tickets/1/notes", json!({"body": "n"}))
        .await;
    first
        .post(
            "/api/v2/tickets/1/time_entries",
            json!({"time_spent": "00:30"}),
        )
        .await;
    let contact = first
        .post(
            "/api/v2/contacts",
            json!({"name": "Kept", "email": "kept@example.test"}),
        )
        .await;
    assert_eq!(contact.status(), 201);
    first.emu.delete_ticket_as_someone(1);
    let before = state(&first).await;
    first.emu.close().unwrap();
    drop(first);
    let second = start_with_emulator(open(&path).unwrap()).await;
    assert_eq!(state(&second).await, before);
    assert_eq!(
        second.create_ticket(json!({})).await.id,
        2,
        "display ids continue"
    );
    let dup = second
        .post(
            "/api/v2/contacts",
            json!({"name": "Again", "email": "KEPT@example.test"}),
        )
        .await;
    assert_eq!(dup.status(), 409, "the email index was rebuilt");
    let entries = second
        .get("/api/v2/time_entries")
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(
        entries.as_array().unwrap().len(),
        0,
        "ticket 1 is deleted, so its entries are hidden"
    );
    assert!(
        !dir.path().join("account.json.tmp").exists(),
        "no temporary file is left behind"
    );
}

#[tokio::test]
async fn changes_reach_the_file_shortly_while_serving() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("account.json");
    let s = start_with_emulator(open(&path).unwrap()).await;
    s.create_ticket(json!({"subject": "Written soon"})).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    while !std::fs::read_to_string(&path)
        .unwrap()
        .contains("Written soon")
    {
        assert!(Instant::now() < deadline, "the state file was not updated");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_corrupt_or_foreign_state_file_is_refused_by_name_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("account.json");
    for bad in [
        "{not json",
        "{\"version\":1,\"world\":{}}",
        "{\"version\":99,\"world\":{}}",
        "[]",
    ] {
        std::fs::write(&path, bad).unwrap();
        let err = open(&path).err().expect(bad).to_string();
        assert!(
            err.contains(&path.display().to_string()) && !err.contains('\n'),
            "{err}"
        );
        assert!(matches!(open(&path), Err(StateFileError::Corrupt { .. })));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), bad, "untouched");
    }
    let unreadable = dir.path().join("a-directory");
    std::fs::create_dir(&unreadable).unwrap();
    assert!(matches!(
        open(&unreadable),
        Err(StateFileError::Read { .. })
    ));
    let nowhere = dir.path().join("missing/dir/account.json");
    assert!(matches!(open(&nowhere), Err(StateFileError::Write { .. })));
}

#[test]
fn a_new_state_file_is_written_at_once_with_the_seeded_people() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("account.json");
    let emu = open(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let file: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(file["version"], 1);
    assert_eq!(
        file["world"]["contacts"].as_object().unwrap().len(),
        emu.contacts().len()
    );
}
