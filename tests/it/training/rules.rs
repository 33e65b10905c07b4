//! A resolution without the right fix is reopened and counted; the emulator's
//! webhooks are retried after a failure and not after a redirect.

use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use ticketsim::emulator::{WebhookSettings, WebhookTarget};
use ticketsim::freshdesk::{ApiKey, CreateTicket};

use super::{Setup, right_fix, session};
use crate::harness::{API_KEY, emulator_config, spawn_emulator};

#[tokio::test]
async fn resolving_without_the_fix_makes_the_customer_reopen_and_counts_against_the_trainee() {
    let s = session(Setup {
        webhooks: true,
        poll: None,
        delay: "0s",
        sla: "1h",
        tickets: 1,
    })
    .await;
    let agent = s.emulator.agents()[1].id;
    let t = s.tickets(1).await[0];
    let sheet = s.sheet(t).await;
    s.reply(t, agent, "I think this is sorted now, closing the ticket.")
        .await;
    s.notes(t, 1).await;
    let key = ApiKey::new(API_KEY);
    let client = ticketsim::app::client_for(&s.url, key, 100_000).unwrap();
    client.change_status(t, 4).await.unwrap();
    let notes = s.notes(t, 2).await;
    assert!(notes[1].contains("reopening"), "{notes:?}");
    s.until("the reopen", || async {
        (s.status(t).await == 2).then_some(())
    })
    .await;
    s.reply(t, agent, &right_fix(&sheet)).await;
    let grade = s.grade(t).await;
    assert_eq!(grade["reopens"], 1, "{grade}");
    assert_eq!(grade["verdict"], "root cause found");
}

/// A receiver answering with the given statuses in turn (then 200).
async fn receiver(answers: Vec<u16>) -> String {
    let answers = Arc::new(Mutex::new(answers));
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            let answers = answers.clone();
            async move {
                let mut a = answers.lock().unwrap();
                let code = if a.is_empty() { 200 } else { a.remove(0) };
                StatusCode::from_u16(code).unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

#[tokio::test]
async fn emulator_webhooks_are_retried_after_a_failure_but_not_after_a_redirect() {
    let (emulator, url, _stop) =
        spawn_emulator(emulator_config(), Arc::new(ticketsim::clock::SystemClock)).await;
    let failing = receiver(vec![500, 503]).await;
    let redirecting = receiver(vec![302]).await;
    let targets = [&failing, &redirecting].map(|u| WebhookTarget {
        url: u.to_string(),
        secret: None,
    });
    let settings = WebhookSettings {
        targets: targets.to_vec(),
        retry_delays_ms: Some(vec![50, 50, 50]),
    };
    emulator.set_webhooks(settings).unwrap();
    let client = ticketsim::app::client_for(&url, ApiKey::new(API_KEY), 100_000).unwrap();
    let requester = emulator.contacts()[0].id;
    let body = CreateTicket {
        subject: "Webhook check".into(),
        description: "<p>hello</p>".into(),
        status: 2,
        priority: 1,
        requester_id: Some(requester),
        ..Default::default()
    };
    client.create_ticket(&body).await.unwrap();
    let start = std::time::Instant::now();
    let statuses = |target: &str| -> Vec<Option<u16>> {
        let all = emulator.webhook_deliveries();
        all.iter()
            .filter(|d| d.url == target)
            .map(|d| d.status)
            .collect()
    };
    while statuses(&failing).len() < 3 {
        assert!(
            start.elapsed().as_secs() < 20,
            "{:?}",
            emulator.webhook_deliveries()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(statuses(&failing), [Some(500), Some(503), Some(200)]);
    assert_eq!(statuses(&redirecting), [Some(302)]);
    let d = &emulator.webhook_deliveries()[0];
    assert_eq!(d.event, "ticket_created");
}
