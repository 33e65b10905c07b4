//! The whole loop as separate processes: `ticketsim emulator --webhook` firing
//! at `ticketsim run` in training mode, a trainee replying through the API.

use std::time::{Duration, Instant};

use ticketsim::freshdesk::{ApiKey, Reply, TicketQuery};

use super::{SECRET, cron_for, free_addr, right_fix, wrong_fix};
use crate::harness::API_KEY;
use crate::process::{emulator_process_with, ticketsim};

#[tokio::test]
async fn an_emulator_process_with_webhooks_drives_a_training_daemon_process() {
    let dir = tempfile::tempdir().unwrap();
    let addr = free_addr();
    let hook = format!("http://{addr}/webhooks/freshdesk");
    let args = [
        "--api-key",
        API_KEY,
        "--rate-per-min",
        "100000",
        "--webhook",
        &hook,
        "--webhook-secret",
        SECRET,
    ];
    let (_emulator, url) = emulator_process_with(dir.path(), &args).await;
    let cron = cron_for(1).await;
    let env = [
        ("FRESHDESK_URL", url.as_str()),
        ("FRESHDESK_API_KEY", API_KEY),
        ("TICKETSIM_MODE", "training"),
        ("TICKETSIM_CREATE_CRON", &cron),
        ("TICKETSIM_RATE_PER_MIN", "1000"),
        ("TICKETSIM_CUSTOMER_DELAY", "0s"),
        ("TICKETSIM_HTTP_ADDR", &addr),
        ("FRESHDESK_WEBHOOK_SECRET", SECRET),
    ];
    let daemon = ticketsim(dir.path(), &env)
        .args(["--db", "t.db", "run"])
        .stderr(std::fs::File::create(dir.path().join("log")).unwrap())
        .spawn()
        .unwrap();
    let client = ticketsim::app::client_for(&url, ApiKey::new(API_KEY), 100_000).unwrap();
    let start = Instant::now();
    let within = |what: &str| {
        let log = std::fs::read_to_string(dir.path().join("log")).unwrap_or_default();
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "timed out waiting for {what}\n{log}"
        );
    };
    let ticket = loop {
        within("the ticket");
        let tickets = client.list_tickets(&TicketQuery::default()).await.unwrap();
        if let Some(t) = tickets.first() {
            break t.id;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let store = ticketsim::store::Store::open_read_only(&dir.path().join("t.db"))
        .await
        .unwrap();
    let plan = store
        .find_lifecycle(ticket)
        .await
        .unwrap()
        .unwrap()
        .plan
        .unwrap();
    let sheet: ticketsim::content::Sheet = serde_json::from_str(&plan.training.unwrap()).unwrap();
    let trainee = client.list_agents().await.unwrap()[1].id;
    let customer_notes = || async {
        let convs = client.list_conversations(ticket).await.unwrap();
        let notes: Vec<String> = (convs.iter().filter(|c| c.incoming == Some(true)))
            .map(|c| c.body_text.clone().unwrap_or_default())
            .collect();
        notes
    };
    for (i, text) in [wrong_fix(&sheet), right_fix(&sheet)].iter().enumerate() {
        let reply = Reply {
            body: format!("<p>{text}</p>"),
            user_id: Some(trainee),
            ..Default::default()
        };
        client.add_reply(ticket, &reply).await.unwrap();
        while customer_notes().await.len() <= i {
            within("the customer's answer");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    let notes = customer_notes().await;
    assert!(
        notes[0].to_lowercase().contains("still broken"),
        "{notes:?}"
    );
    loop {
        within("the close");
        if client.get_ticket(ticket).await.unwrap().status == 5 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let out = ticketsim(dir.path(), &[])
        .args(["report", "--training", "--db", "t.db"])
        .output()
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&sheet_scenario(&store, ticket).await) && text.contains("1/1"),
        "{text}"
    );
    // Neither the API key nor the webhook secret in /metrics, the reports,
    // the log (read once the daemon has stopped) or the database.
    use crate::secrets::{
        assert_commands_keep_secrets, assert_database_keeps_secrets, assert_no_secret,
        assert_url_keeps_secrets,
    };
    assert_url_keeps_secrets(&format!("http://{addr}/metrics"), &[SECRET]).await;
    let reports: [&[&str]; 5] = [
        &["report", "--db", "t.db"],
        &["report", "--json", "--db", "t.db"],
        &["report", "--csv", "--db", "t.db"],
        &["report", "--training", "--json", "--db", "t.db"],
        &["status", "--json", "--db", "t.db"],
    ];
    assert_commands_keep_secrets(dir.path(), &[], &reports, &[SECRET]).await;
    let mut daemon = daemon;
    crate::first_hour::sigterm(&daemon);
    let _ = tokio::time::timeout(Duration::from_secs(30), daemon.wait()).await;
    let log = std::fs::read(dir.path().join("log")).unwrap();
    assert_no_secret("the training daemon's log", &log, &[SECRET]);
    assert_database_keeps_secrets(&dir.path().join("t.db"), &[SECRET]);
}

async fn sheet_scenario(store: &ticketsim::store::Store, ticket: i64) -> String {
    let l = store.find_lifecycle(ticket).await.unwrap().unwrap();
    l.plan.unwrap().scenario
}
