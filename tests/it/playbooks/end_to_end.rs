//! Each playbook through the dispatcher against the emulator, three lifecycles
//! each, checked in the emulator's state: statuses, notes, authors, priority,
//! group, responder, tags and time entries.

use ticketsim::clock::format_iso;
use ticketsim::content::html_to_text;
use ticketsim::freshdesk::types::Conversation;

use super::{closed_ticket, daemon_with, run_to_end, slots, statuses};
use crate::harness::{MIN, T0, spawn_app};

/// Starts three lifecycles following `playbook` and runs them to the end.
async fn three(playbook: &str) -> (crate::harness::TestApp, ticketsim::app::Daemon, Vec<i64>) {
    let app = spawn_app().await;
    let d = daemon_with(&app, playbook).await;
    let mut ids = vec![];
    for at in slots(T0, 3) {
        ids.push(d.triggers.start_slot(at, T0).await.unwrap().unwrap());
    }
    run_to_end(&app, &d).await;
    (app, d, ids)
}

fn authors(convs: &[Conversation]) -> Vec<(Option<i64>, bool)> {
    convs
        .iter()
        .map(|c| (c.user_id, c.private.unwrap_or(false)))
        .collect()
}

#[tokio::test]
async fn the_pending_playbook_waits_in_status_3_between_question_and_answer() {
    let (app, d, ids) = three("pending").await;
    for id in ids {
        let ticket = closed_ticket(&app, &d, id).await;
        let plan = d.store.lifecycle(id).await.unwrap().plan.unwrap();
        assert_eq!(plan.playbook, "pending");
        let start = d.store.lifecycle(id).await.unwrap().created_at;
        let history = app.emulator.status_history(ticket.id);
        let expected: Vec<(String, i64)> = [(0, 2), (5, 3), (10, 2), (15, 4), (20, 5)]
            .iter()
            .map(|(m, s)| (format_iso(start + m * MIN), *s))
            .collect();
        assert_eq!(
            history, expected,
            "pending after the question, open after the answer"
        );
        let convs = app.emulator.conversations(ticket.id);
        assert_eq!(
            authors(&convs),
            [
                (Some(plan.agent_id), false),
                (Some(plan.contact_id), false),
                (Some(plan.agent_id), false)
            ]
        );
    }
}

#[tokio::test]
async fn the_escalation_playbook_notes_privately_raises_priority_and_reassigns() {
    let (app, d, ids) = three("escalation").await;
    let groups: Vec<i64> = app
        .client()
        .list_groups()
        .await
        .unwrap()
        .iter()
        .map(|g| g.id)
        .collect();
    let mut raised = 0;
    for id in ids {
        let ticket = closed_ticket(&app, &d, id).await;
        let plan = d.store.lifecycle(id).await.unwrap().plan.unwrap();
        assert_eq!(statuses(&app, ticket.id), [2, 4, 5]);
        assert_eq!(
            ticket.priority,
            (plan.priority + 1).min(4),
            "priority raised"
        );
        raised += usize::from(ticket.priority > plan.priority);
        let group = ticket.group_id.expect("moved to a group");
        assert!(groups.contains(&group));
        let responders: Vec<Option<i64>> = app
            .emulator
            .responder_history(ticket.id)
            .into_iter()
            .map(|(_, r)| r)
            .collect();
        let new_agent = ticket.responder_id.unwrap();
        assert_ne!(new_agent, plan.agent_id, "reassigned to another agent");
        assert_eq!(responders, [None, Some(plan.agent_id), Some(new_agent)]);
        let tags = ticket.tags.clone().unwrap();
        assert!(tags.starts_with(&plan.tags) && tags.contains(&"escalated".to_string()));

        let convs = app.emulator.conversations(ticket.id);
        assert_eq!(
            authors(&convs),
            [
                (Some(plan.agent_id), false),
                (Some(plan.contact_id), false),
                (Some(plan.agent_id), true),
                (Some(new_agent), false)
            ],
            "question, answer, private note by the first agent, resolution by the new one"
        );
        let resolution = html_to_text(convs[3].body.as_deref().unwrap());
        let first_name = plan.agent_name.split_whitespace().next().unwrap();
        assert!(
            resolution.contains(first_name),
            "the handover names the first agent: {resolution}"
        );

        let rec = d
            .store
            .export_record(&d.store.lifecycle(id).await.unwrap())
            .await
            .unwrap();
        let shape: Vec<(&str, bool)> = rec
            .messages
            .iter()
            .map(|m| (m.author.as_str(), m.private))
            .collect();
        assert_eq!(
            shape,
            [
                ("customer", false),
                ("agent", false),
                ("customer", false),
                ("agent", true),
                ("agent", false)
            ]
        );
        let json = serde_json::to_value(&rec).unwrap();
        assert_eq!(json["messages"][3]["private"], true);
        assert!(
            json["messages"][0].get("private").is_none(),
            "public messages keep their shape"
        );
    }
    assert!(
        raised > 0,
        "no lifecycle started below urgent; the test proves little"
    );
}

#[tokio::test]
async fn the_time_logged_playbook_posts_one_time_entry_per_ticket() {
    let (app, d, ids) = three("time-logged").await;
    for id in ids {
        let ticket = closed_ticket(&app, &d, id).await;
        let plan = d.store.lifecycle(id).await.unwrap().plan.unwrap();
        let entries = app.client().list_time_entries(ticket.id).await.unwrap();
        assert_eq!(entries.len(), 1, "{entries:?}");
        let e = &entries[0];
        assert_eq!(e.agent_id, Some(plan.agent_id));
        assert!(e.billable && !e.timer_running);
        let spent = e.time_spent.clone().unwrap();
        let (h, m) = spent.split_once(':').unwrap();
        let minutes = h.parse::<i64>().unwrap() * 60 + m.parse::<i64>().unwrap();
        assert!((10..=90).contains(&minutes), "{spent}");
        assert!(!e.note.clone().unwrap_or_default().is_empty());
        let convs = app.emulator.conversations(ticket.id);
        assert_eq!(
            convs.iter().filter(|c| c.private == Some(true)).count(),
            1,
            "a work note"
        );
        assert_eq!(statuses(&app, ticket.id), [2, 4, 5]);
    }
}

#[tokio::test]
async fn the_reopen_playbook_goes_back_to_open_and_is_resolved_twice() {
    let (app, d, ids) = three("reopen").await;
    for id in ids {
        let ticket = closed_ticket(&app, &d, id).await;
        let plan = d.store.lifecycle(id).await.unwrap().plan.unwrap();
        assert_eq!(statuses(&app, ticket.id), [2, 4, 2, 4, 5]);
        let convs = app.emulator.conversations(ticket.id);
        let who: Vec<Option<i64>> = convs.iter().map(|c| c.user_id).collect();
        let (a, c) = (Some(plan.agent_id), Some(plan.contact_id));
        assert_eq!(who, [a, c, a, c, a]);
        assert!(convs[3].incoming == Some(true) && convs[3].private == Some(false));
    }
}

#[tokio::test]
async fn the_no_answer_playbook_reminds_then_closes_without_a_customer_message() {
    let (app, d, ids) = three("no-answer").await;
    for id in ids {
        let ticket = closed_ticket(&app, &d, id).await;
        let plan = d.store.lifecycle(id).await.unwrap().plan.unwrap();
        let start = d.store.lifecycle(id).await.unwrap().created_at;
        let history = app.emulator.status_history(ticket.id);
        let expected: Vec<(String, i64)> = [(0, 2), (5, 3), (30, 5)]
            .iter()
            .map(|(m, s)| (format_iso(start + m * MIN), *s))
            .collect();
        assert_eq!(history, expected, "pending, then closed after the wait");
        let convs = app.emulator.conversations(ticket.id);
        assert_eq!(convs.len(), 3);
        assert!(convs.iter().all(|c| c.user_id == Some(plan.agent_id)));
    }
}

#[tokio::test]
async fn the_classic_playbook_keeps_its_four_messages_and_statuses() {
    let (app, d, ids) = three("classic").await;
    for id in ids {
        let ticket = closed_ticket(&app, &d, id).await;
        assert_eq!(statuses(&app, ticket.id), [2, 4, 5]);
        let l = d.store.lifecycle(id).await.unwrap();
        let rec = d.store.export_record(&l).await.unwrap();
        let authors: Vec<&str> = rec.messages.iter().map(|m| m.author.as_str()).collect();
        assert_eq!(authors, ["customer", "agent", "customer", "agent"]);
        assert!(rec.messages.iter().all(|m| !m.private));
        assert_eq!(ticket.group_id, None, "classic tickets are not moved");
    }
}
