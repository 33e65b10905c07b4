//! Time entries: "hh:mm", timers driven by the clock, filters, the feature
//! switch, and 404 on deleted tickets.

use serde_json::{Value, json};

use super::{Refusal, expect_refusals, start, start_with};
use crate::emulator::EmulatorConfig;
use crate::freshdesk::types::TimeEntry;

fn entry(v: &Value) -> TimeEntry {
    serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{e}: {v}"))
}

#[tokio::test]
async fn a_logged_entry_is_billable_by_default_and_timers_follow_the_clock() {
    let s = start().await;
    s.create_ticket(json!({})).await;
    let a = s
        .call(
            "POST",
            "/api/v2/tickets/1/time_entries",
            Some(json!({"time_spent": "01:30", "note": "call"})),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.text);
    let logged = entry(&a.json);
    assert_eq!((logged.billable, logged.timer_running), (true, false));
    assert_eq!(
        (logged.time_spent.as_deref(), logged.time_spent_in_seconds),
        (Some("01:30"), Some(5400))
    );
    assert_eq!(logged.agent_id, Some(s.owner_id()));
    // Without time_spent a timer starts; 10 minutes later it shows 00:10.
    let timer = entry(
        &s.call(
            "POST",
            "/api/v2/tickets/1/time_entries",
            Some(json!({"billable": false})),
        )
        .await
        .json,
    );
    assert!(timer.timer_running);
    s.clock.advance(10 * 60_000 + 30_000);
    let listed = s.call("GET", "/api/v2/tickets/1/time_entries", None).await;
    let list: Vec<TimeEntry> = serde_json::from_value(listed.json).unwrap();
    assert_eq!(list[1].time_spent.as_deref(), Some("00:10"));
    // Stopping keeps the time; starting another timer for the agent stops this one.
    let path = format!("/api/v2/time_entries/{}", timer.id);
    let stopped = entry(
        &s.call("PUT", &format!("{path}/toggle_timer"), None)
            .await
            .json,
    );
    assert_eq!(
        (stopped.timer_running, stopped.time_spent_in_seconds),
        (false, Some(630))
    );
    let again = entry(
        &s.call("PUT", &format!("{path}/toggle_timer"), None)
            .await
            .json,
    );
    assert!(again.timer_running);
    s.call(
        "POST",
        "/api/v2/tickets/1/time_entries",
        Some(json!({"timer_running": true})),
    )
    .await;
    let a = s
        .call("GET", "/api/v2/time_entries?billable=false", None)
        .await;
    let list: Vec<TimeEntry> = serde_json::from_value(a.json).unwrap();
    assert_eq!(list.len(), 1);
    assert!(!list[0].timer_running, "the newer timer stopped this one");
}

#[tokio::test]
async fn time_entry_filters_and_updates() {
    let s = start().await;
    s.create_ticket(json!({})).await;
    let other = s.emu.agents()[1].id;
    let body =
        json!({"time_spent": "00:05", "agent_id": other, "executed_at": "2023-11-01T10:00:00Z"});
    let e = entry(
        &s.call("POST", "/api/v2/tickets/1/time_entries", Some(body))
            .await
            .json,
    );
    s.call(
        "POST",
        "/api/v2/tickets/1/time_entries",
        Some(json!({"time_spent": "00:01"})),
    )
    .await;
    #[rustfmt::skip]
    let cases = [
        (String::new(), 2),
        (format!("?agent_id={other}"), 1),
        ("?executed_before=2023-11-02T00:00:00Z".into(), 1),
        ("?executed_after=2023-11-02T00:00:00Z".into(), 1),
        ("?company_id=7".into(), 0),
    ];
    for (query, want) in cases {
        let a = s
            .call("GET", &format!("/api/v2/time_entries{query}"), None)
            .await;
        assert_eq!(a.json.as_array().map(Vec::len), Some(want), "{query}");
    }
    let path = format!("/api/v2/time_entries/{}", e.id);
    let a = s
        .call(
            "PUT",
            &path,
            Some(json!({"time_spent": "02:00", "billable": false})),
        )
        .await;
    let updated = entry(&a.json);
    assert_eq!(
        (updated.time_spent.as_deref(), updated.billable),
        (Some("02:00"), false)
    );
    assert_eq!(s.call("DELETE", &path, None).await.status, 204);
    assert_eq!(s.call("DELETE", &path, None).await.status, 404);
}

#[tokio::test]
async fn time_entry_refusals_follow_the_documented_rules() {
    let s = start().await;
    s.create_ticket(json!({})).await;
    s.create_ticket(json!({})).await;
    let stopped = entry(
        &s.call(
            "POST",
            "/api/v2/tickets/1/time_entries",
            Some(json!({"time_spent": "00:10"})),
        )
        .await
        .json,
    );
    let running = entry(
        &s.call("POST", "/api/v2/tickets/1/time_entries", Some(json!({})))
            .await
            .json,
    );
    let on_two = entry(
        &s.call(
            "POST",
            "/api/v2/tickets/2/time_entries",
            Some(json!({"time_spent": "00:10"})),
        )
        .await
        .json,
    );
    s.call("DELETE", "/api/v2/tickets/2", None).await;
    let hh_mm = "It should be in the 'hh:mm' format";
    let stop = format!("/api/v2/time_entries/{}", stopped.id);
    let run = format!("/api/v2/time_entries/{}", running.id);
    #[rustfmt::skip]
    let cases: Vec<Refusal> = vec![
        ("POST", "/api/v2/tickets/1/time_entries".into(), Some(json!({"time_spent": "1:75"})), 400, "time_spent", hh_mm),
        ("POST", "/api/v2/tickets/1/time_entries".into(), Some(json!({"time_spent": "90"})), 400, "time_spent", hh_mm),
        ("POST", "/api/v2/tickets/1/time_entries".into(), Some(json!({"time_spent": true})), 400, "time_spent", "Value set is of type Boolean.It should be a/an String"),
        ("POST", "/api/v2/tickets/1/time_entries".into(), Some(json!({"billable": "yes"})), 400, "billable", "Value set is of type String.It should be a/an Boolean"),
        ("POST", "/api/v2/tickets/1/time_entries".into(), Some(json!({"start_time": "2030-01-01T00:00:00Z"})), 400, "start_time", "It should be a date before the current time"),
        ("POST", "/api/v2/tickets/1/time_entries".into(), Some(json!({"agent_id": 42})), 400, "agent_id", "There is no agent matching the given agent_id"),
        ("POST", "/api/v2/tickets/1/time_entries".into(), Some(json!({"hours": 1})), 400, "hours", "Unexpected/invalid field in request"),
        ("POST", "/api/v2/tickets/2/time_entries".into(), Some(json!({"time_spent": "00:01"})), 404, "", ""),
        ("GET", "/api/v2/tickets/2/time_entries".into(), None, 404, "", ""),
        ("POST", "/api/v2/tickets/9/time_entries".into(), Some(json!({})), 404, "", ""),
        ("PUT", format!("/api/v2/time_entries/{}", on_two.id), Some(json!({"note": "x"})), 404, "", ""),
        ("PUT", stop.clone(), Some(json!({"timer_running": false})), 400, "timer_running", "Can't set to the same value as before"),
        ("PUT", run.clone(), Some(json!({"agent_id": s.emu.agents()[1].id})), 400, "agent_id", "It cannot be changed while the timer is running"),
        ("PUT", run.clone(), Some(json!({"start_time": "2023-11-14T22:00:00Z"})), 400, "start_time", "It cannot be set while the timer is running"),
        ("PUT", format!("{run}/toggle_timer"), Some(json!({"x": 1})), 400, "", "No content is required for this request"),
        ("PUT", "/api/v2/time_entries/5".into(), Some(json!({"note": "x"})), 404, "", ""),
        ("GET", "/api/v2/time_entries?billable=maybe".into(), None, 400, "billable", "It should be one of these values: 'true,false'"),
    ];
    expect_refusals(&s, cases).await;
    s.assert_needs_auth("GET", "/api/v2/time_entries").await;
}

#[tokio::test]
async fn without_the_timesheets_feature_time_entries_are_403_require_feature() {
    let s = start_with(EmulatorConfig {
        timesheets: false,
        ..EmulatorConfig::default()
    })
    .await;
    s.create_ticket(json!({})).await;
    for (method, path) in [
        ("GET", "/api/v2/time_entries"),
        ("POST", "/api/v2/tickets/1/time_entries"),
        ("GET", "/api/v2/tickets/1/time_entries"),
    ] {
        let a = s
            .call(method, path, (method == "POST").then(|| json!({})))
            .await;
        assert_eq!(a.status, 403, "{path}");
        assert_eq!(a.json["code"], "require_feature");
        assert_eq!(
            a.json["message"],
            "The Timesheets feature(s) is/are not supported in your plan. Please upgrade your account to use it."
        );
    }
}
