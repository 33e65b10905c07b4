use super::*;
use crate::store::testutil::temp_store;

#[tokio::test]
async fn status_counts_states_and_names_the_next_due_step() {
    let (s, _d) = temp_store().await;
    s.start_slot(1_000, 1_000, 1).await.unwrap();
    s.skip_slot(500, 1_000, "too old").await.unwrap();
    let st = s.status(400).await.unwrap();
    assert_eq!(st.total, 1);
    assert!(st.by_state.contains(&("scheduled".to_string(), 1)));
    assert_eq!((st.slots_started, st.slots_skipped), (1, 1));
    let next = st.next.clone().unwrap();
    assert_eq!((next.stage, next.due_in_ms), (Stage::Create, 600));
    let json = serde_json::to_value(&st).unwrap();
    assert_eq!(json["by_state"]["scheduled"], 1, "{json}");
    assert_eq!(json["by_state"]["closed"], 0, "{json}");
}

#[tokio::test]
async fn retrying_steps_show_their_error_in_status() {
    let (s, _d) = temp_store().await;
    s.start_slot(0, 0, 1).await.unwrap();
    let c = s.claim_due(0, 1).await.unwrap();
    s.retry_step(&c[0], 9_000, "Server error 503")
        .await
        .unwrap();
    let st = s.status(0).await.unwrap();
    assert_eq!(
        st.retrying[0].last_error.as_deref(),
        Some("Server error 503")
    );
    assert_eq!(st.retrying[0].attempts, 1);
}

#[tokio::test]
async fn paging_through_lifecycles_visits_each_once() {
    let (s, _d) = temp_store().await;
    for at in 0..5 {
        s.start_slot(at, at, 1).await.unwrap();
    }
    let mut seen = vec![];
    let mut after = 0;
    loop {
        let page = s.lifecycles_after(after, 2).await.unwrap();
        let Some(last) = page.last() else { break };
        after = last.id;
        seen.extend(page.iter().map(|l| l.id));
    }
    assert_eq!(seen, vec![1, 2, 3, 4, 5]);
    let rec = s
        .export_record(&s.lifecycle(1).await.unwrap())
        .await
        .unwrap();
    assert_eq!(rec.lifecycle.state, LifecycleState::Scheduled.as_str());
    assert!(rec.messages.is_empty());
    assert_eq!(
        (rec.lifecycle.subject, rec.lifecycle.tags),
        (None, vec![]),
        "no plan yet"
    );
    let s = &s;
    let only = |f: LifecycleFilter| async move {
        let page = s.lifecycles_matching(0, 10, &f).await.unwrap();
        page.iter().map(|l| l.id).collect::<Vec<_>>()
    };
    let since = LifecycleFilter {
        since: Some(3),
        ..Default::default()
    };
    assert_eq!(only(since).await, [4, 5]);
    let state = LifecycleFilter {
        state: Some(LifecycleState::Closed),
        ..Default::default()
    };
    assert_eq!(only(state).await, Vec::<i64>::new());
    let pb = LifecycleFilter {
        playbook: Some("classic".into()),
        ..Default::default()
    };
    assert_eq!(
        only(pb).await,
        Vec::<i64>::new(),
        "unplanned ones have no playbook"
    );
}
