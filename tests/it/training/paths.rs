//! How replies reach the customer: polling alone, webhooks and polling
//! together (exactly one answer), and a crash between the event and the answer.

use std::time::Duration;

use super::{Setup, right_fix, right_questions, session};

#[tokio::test]
async fn polling_alone_answers_and_closes_like_webhooks_do() {
    let s = session(Setup {
        webhooks: false,
        poll: Some("1s"),
        delay: "0s",
        sla: "1h",
        tickets: 1,
    })
    .await;
    let agent = s.emulator.agents()[1].id;
    let t = s.tickets(1).await[0];
    let sheet = s.sheet(t).await;
    s.reply(t, agent, &right_questions(&sheet)).await;
    let asked = tokio::time::Instant::now();
    s.notes(t, 1).await;
    // one poll interval, plus the poll's own requests and the answer's POST
    assert!(
        asked.elapsed() < Duration::from_secs(4),
        "{:?}",
        asked.elapsed()
    );
    s.reply(t, agent, &right_fix(&sheet)).await;
    let grade = s.grade(t).await;
    assert_eq!(grade["verdict"], "root cause found", "{grade}");
    s.until("the close", || async {
        (s.status(t).await == 5).then_some(())
    })
    .await;
    assert_eq!(s.customer_notes(t).len(), 2);
}

#[tokio::test]
async fn webhooks_and_polling_together_answer_each_reply_exactly_once() {
    let s = session(Setup {
        webhooks: true,
        poll: Some("500ms"),
        delay: "0s",
        sla: "1h",
        tickets: 1,
    })
    .await;
    let agent = s.emulator.agents()[1].id;
    let t = s.tickets(1).await[0];
    let sheet = s.sheet(t).await;
    s.reply(t, agent, &right_questions(&sheet)).await;
    s.notes(t, 1).await;
    // Several polls later, the reply seen by both paths still has one answer.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(s.customer_notes(t).len(), 1, "{:?}", s.customer_notes(t));
    let deliveries = s.emulator.webhook_deliveries();
    assert!(
        deliveries
            .iter()
            .any(|d| d.event == "reply_sent" && d.status == Some(202)),
        "{deliveries:?}"
    );
}

#[tokio::test]
async fn a_kill_between_the_event_and_the_answer_sends_the_answer_once_after_restart() {
    let mut s = session(Setup {
        webhooks: true,
        poll: None,
        delay: "3s",
        sla: "1h",
        tickets: 1,
    })
    .await;
    let agent = s.emulator.agents()[1].id;
    let t = s.tickets(1).await[0];
    let sheet = s.sheet(t).await;
    s.reply(t, agent, &right_questions(&sheet)).await;
    // The reaction is recorded (an answer step waits its 3 s delay)…
    s.until("the answer step", || async {
        let store = ticketsim::store::Store::open_read_only(&s.db).await.ok()?;
        let open = store.open_steps().await.ok()?;
        store.close().await;
        (open > 0).then_some(())
    })
    .await;
    assert!(s.customer_notes(t).is_empty());
    // …and the daemon dies before sending it.
    let mut child = s.child.take().unwrap();
    child.start_kill().unwrap();
    child.wait().await.unwrap();
    s.start();
    s.notes(t, 1).await;
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(s.customer_notes(t).len(), 1, "sent once");
}
