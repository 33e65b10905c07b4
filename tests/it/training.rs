//! Training mode end to end: the real `ticketsim run` process in training
//! mode, the emulator over loopback firing webhooks at it (or being polled),
//! and scripted trainees replying through the API as agents.

mod paths;
mod processes;
mod rules;
mod security;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::process::Child;

use ticketsim::clock::SystemClock;
use ticketsim::content::Sheet;
use ticketsim::emulator::{Emulator, EmulatorConfig, WebhookSettings, WebhookTarget};
use ticketsim::freshdesk::Reply;
use ticketsim::store::Store;

use crate::harness::{API_KEY, emulator_config, spawn_emulator};
use crate::process::ticketsim;

pub const SECRET: &str = "it-webhook-secret-0c4f2a9e";
/// Every wait of these tests gives up after this.
const DEADLINE: Duration = Duration::from_secs(60);

/// How a session's daemon hears of replies, and how fast its customer is.
pub struct Setup {
    /// The emulator fires webhooks at the daemon (which then serves the receiver).
    pub webhooks: bool,
    pub poll: Option<&'static str>,
    pub delay: &'static str,
    pub sla: &'static str,
    pub tickets: usize,
}

/// An emulator, a training daemon process, and the trainees' client.
pub struct Session {
    pub emulator: Emulator,
    pub url: String,
    pub addr: String,
    pub dir: tempfile::TempDir,
    pub db: PathBuf,
    pub child: Option<Child>,
    env: Vec<(String, String)>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// A free port on 127.0.0.1 (bound, then released for the daemon).
pub fn free_addr() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().to_string()
}

/// A cron firing once a second, `n` times, starting two seconds from now
/// (within one minute; waits for the next minute when this one is nearly over).
pub async fn cron_for(n: usize) -> String {
    if n == 0 {
        return "0 0 0 1 1 *".into();
    }
    let now = || chrono::Utc::now();
    use chrono::Timelike;
    if now().second() as usize + 2 + n > 58 {
        tokio::time::sleep(Duration::from_secs(62 - now().second() as u64)).await;
    }
    let t = now() + chrono::Duration::seconds(2);
    let secs: Vec<String> = (0..n)
        .map(|i| (t.second() as usize + i).to_string())
        .collect();
    format!("{} {} {} * * *", secs.join(","), t.minute(), t.hour())
}

pub async fn session(s: Setup) -> Session {
    let cfg = EmulatorConfig {
        rate_per_min: 100_000,
        ..emulator_config()
    };
    let (emulator, url, stop) = spawn_emulator(cfg, Arc::new(SystemClock)).await;
    let addr = free_addr();
    if s.webhooks {
        let target = WebhookTarget {
            url: format!("http://{addr}/webhooks/freshdesk"),
            secret: Some(SECRET.into()),
        };
        let hooks = WebhookSettings {
            targets: vec![target],
            retry_delays_ms: Some(vec![500, 1_000, 2_000]),
        };
        emulator.set_webhooks(hooks).unwrap();
    }
    let mut env: Vec<(String, String)> = vec![
        ("FRESHDESK_URL".into(), url.clone()),
        ("FRESHDESK_API_KEY".into(), API_KEY.into()),
        ("TICKETSIM_MODE".into(), "training".into()),
        ("TICKETSIM_CREATE_CRON".into(), cron_for(s.tickets).await),
        ("TICKETSIM_SEED".into(), "5".into()),
        ("TICKETSIM_RATE_PER_MIN".into(), "1000".into()),
        ("TICKETSIM_TRAINEE_SLA".into(), s.sla.into()),
        ("TICKETSIM_CUSTOMER_DELAY".into(), s.delay.into()),
        ("TICKETSIM_HTTP_ADDR".into(), addr.clone()),
        ("TICKETSIM_GRADE_NOTE".into(), "on".into()),
    ];
    // The receiver is served whenever polling is off (training needs one way).
    if s.webhooks || s.poll.is_none() {
        env.push(("FRESHDESK_WEBHOOK_SECRET".into(), SECRET.into()));
    }
    if let Some(p) = s.poll {
        env.push(("TICKETSIM_POLL_INTERVAL".into(), p.into()));
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let mut session = Session {
        emulator,
        url,
        addr,
        dir,
        db,
        child: None,
        env,
        _stop: stop,
    };
    session.start();
    session
}

impl Session {
    /// Starts (or restarts) the daemon.
    pub fn start(&mut self) {
        let env: Vec<(&str, &str)> = self
            .env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("log"))
            .unwrap();
        let child = ticketsim(self.dir.path(), &env)
            .args(["--db", "t.db", "run"])
            .stderr(log)
            .spawn()
            .unwrap();
        self.child = Some(child);
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
    }

    /// Waits until `what` gives `Some`, polling every 100 ms, at most [`DEADLINE`].
    pub async fn until<T, F, Fut>(&self, what: &str, mut f: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Option<T>>,
    {
        let start = tokio::time::Instant::now();
        loop {
            if let Some(v) = f().await {
                return v;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "timed out waiting for {what}\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The first `n` tickets, once the daemon has created them.
    pub async fn tickets(&self, n: usize) -> Vec<i64> {
        self.until("the trainee tickets", || async {
            let ids: Vec<i64> = self.emulator.tickets().iter().map(|t| t.id).collect();
            (ids.len() >= n).then(|| ids[..n].to_vec())
        })
        .await
    }

    /// The ticket's training sheet, as the daemon planned it.
    pub async fn sheet(&self, ticket: i64) -> Sheet {
        let store = Store::open_read_only(&self.db).await.unwrap();
        let l = store
            .find_lifecycle(ticket)
            .await
            .unwrap()
            .expect("a lifecycle");
        let json = l.plan.and_then(|p| p.training).expect("a training sheet");
        store.close().await;
        serde_json::from_str(&json).unwrap()
    }

    /// The texts of the customer's messages after the description.
    pub fn customer_notes(&self, ticket: i64) -> Vec<String> {
        let convs = self.emulator.conversations(ticket);
        (convs.iter())
            .filter(|c| c.incoming == Some(true))
            .map(|c| ticketsim::content::html_to_text(c.body.as_deref().unwrap_or_default()))
            .collect()
    }

    /// Waits for the customer's `n`-th message and returns all so far.
    pub async fn notes(&self, ticket: i64, n: usize) -> Vec<String> {
        self.until(
            &format!("customer message {n} on ticket {ticket}"),
            || async {
                let notes = self.customer_notes(ticket);
                (notes.len() >= n).then_some(notes)
            },
        )
        .await
    }

    /// A public reply by `agent` (a trainee).
    pub async fn reply(&self, ticket: i64, agent: i64, text: &str) {
        let key = ticketsim::freshdesk::ApiKey::new(API_KEY);
        let client = ticketsim::app::client_for(&self.url, key, 100_000).unwrap();
        let reply = Reply {
            body: format!("<p>{text}</p>"),
            user_id: Some(agent),
            ..Default::default()
        };
        client.add_reply(ticket, &reply).await.unwrap();
    }

    pub async fn status(&self, ticket: i64) -> i64 {
        let t = self.emulator.tickets();
        t.iter().find(|t| t.id == ticket).map(|t| t.status).unwrap()
    }

    /// `ticketsim report --training --json`.
    pub async fn report(&self) -> Value {
        let out = ticketsim(self.dir.path(), &[])
            .args(["report", "--training", "--json", "--db", "t.db"])
            .output()
            .await
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// The grade of `ticket` in the report, once it is there.
    pub async fn grade(&self, ticket: i64) -> Value {
        self.until(&format!("the grade of ticket {ticket}"), || async {
            let r = self.report().await;
            let tickets = r["tickets"].as_array().cloned().unwrap_or_default();
            tickets.into_iter().find(|g| g["ticket_id"] == ticket)
        })
        .await
    }
}

/// A question with the first words of every fact of the clue map.
pub fn right_questions(sheet: &Sheet) -> String {
    let asks: Vec<&str> = sheet.facts.iter().map(|f| f.asks[0].as_str()).collect();
    format!(
        "Thanks for writing in. Could you tell me more: {}?",
        asks.join("? ")
    )
}

pub fn right_fix(sheet: &Sheet) -> String {
    format!(
        "I found it and sorted it out: {}.",
        sheet.fixes[0].join(" ")
    )
}

pub fn wrong_fix(sheet: &Sheet) -> String {
    format!("Could you try this: {}?", sheet.wrong_fixes[0].asks[0])
}

/// Ann asks the right questions, then proposes the right fix.
async fn ann(s: &Session, ticket: i64, agent: i64) -> Sheet {
    let sheet = s.sheet(ticket).await;
    s.reply(ticket, agent, &right_questions(&sheet)).await;
    s.notes(ticket, 1).await;
    s.reply(ticket, agent, &right_fix(&sheet)).await;
    s.notes(ticket, 2).await;
    sheet
}

/// Bob proposes a wrong fix first, then the right one.
async fn bob(s: &Session, ticket: i64, agent: i64) -> (Sheet, String) {
    let sheet = s.sheet(ticket).await;
    s.reply(ticket, agent, &wrong_fix(&sheet)).await;
    let notes = s.notes(ticket, 1).await;
    s.reply(ticket, agent, &right_fix(&sheet)).await;
    s.notes(ticket, 2).await;
    (sheet, notes[0].clone())
}

#[tokio::test]
async fn trainees_are_answered_from_the_clue_map_and_graded_at_close() {
    let s = session(Setup {
        webhooks: true,
        poll: None,
        delay: "0s..500ms",
        sla: "8s",
        tickets: 3,
    })
    .await;
    let agents: Vec<i64> = s.emulator.agents().iter().map(|a| a.id).collect();
    let t = s.tickets(3).await;
    let (sheet_a, (sheet_b, still)) =
        tokio::join!(ann(&s, t[0], agents[1]), bob(&s, t[1], agents[2]));

    let grade = s.grade(t[0]).await;
    assert_eq!(grade["verdict"], "root cause found", "{grade}");
    let asked = grade["facts_asked"].as_array().unwrap().len();
    assert_eq!(asked, sheet_a.facts.len(), "{grade}");
    assert_eq!(grade["wrong_fixes"], serde_json::json!([]));
    s.until("ticket A closed", || async {
        (s.status(t[0]).await == 5).then_some(())
    })
    .await;
    // TICKETSIM_GRADE_NOTE=on: the grade is a private note, by the trainee.
    let convs = s.emulator.conversations(t[0]);
    let note = (convs.iter())
        .find(|c| c.private == Some(true))
        .expect("a grade note");
    let text = note.body.clone().unwrap_or_default();
    assert!(text.contains("Training grade: root cause found"), "{text}");
    assert_eq!(note.user_id, Some(agents[1]));

    assert!(still.to_lowercase().contains("still broken"), "{still}");
    let grade = s.grade(t[1]).await;
    let wrong = serde_json::json!([sheet_b.wrong_fixes[0].name]);
    assert_eq!(grade["wrong_fixes"], wrong, "{grade}");
    assert_eq!(grade["verdict"], "root cause found");

    // Nobody answers the third: the customer chases after the SLA, more
    // frustrated each time.
    let chases = s.notes(t[2], 2).await;
    let sheet_c = s.sheet(t[2]).await;
    assert!(
        chases[0].contains(&sheet_c.chases[0][0][..20]),
        "{chases:?}"
    );
    assert!(
        chases[1].contains(&sheet_c.chases[1][0][..20]),
        "{chases:?}"
    );

    // Exactly one answer per public reply, nothing more once closed.
    assert_eq!(s.customer_notes(t[0]).len(), 2);
    assert_eq!(s.customer_notes(t[1]).len(), 2);
    let report = s.report().await;
    assert_eq!(
        report["by_trainee"].as_object().unwrap().len(),
        2,
        "{report}"
    );
    assert!(
        !s.log().contains(SECRET),
        "the webhook secret is never logged"
    );
}
