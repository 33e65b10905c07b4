//! `status`, `show` and `export`: read-only views of the database.

use std::io::Write;
use std::path::Path;

use crate::app::AppError;
use crate::clock::{Clock, SystemClock, format_iso};
use crate::domain::format_duration;
use crate::store::{Store, StoreError};

/// Where `ticketsim demo` writes by default.
const DEMO_DB: &str = "ticketsim-demo.db";

/// Opens the database read-only; when it is missing but a demo database is
/// here, says how to look at that one instead.
pub(super) async fn open(db: &Path, command: &str) -> Result<Store, AppError> {
    match Store::open_read_only(db).await {
        Err(StoreError::Missing { .. })
            if db != Path::new(DEMO_DB) && Path::new(DEMO_DB).exists() =>
        {
            Err(AppError::Usage(format!(
                "database {} does not exist; to look at the demo's, use `ticketsim --db {DEMO_DB} {command}`",
                db.display()
            )))
        }
        other => Ok(other?),
    }
}

fn io_err(e: std::io::Error) -> AppError {
    AppError::Io(format!("cannot write output: {e}"))
}

pub(super) fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

pub async fn status(db: &Path, as_json: bool) -> Result<(), AppError> {
    let store = open(db, "status").await?;
    let now = SystemClock.now_ms();
    let st = store.status(now).await?;
    let mut out = std::io::stdout().lock();
    if as_json {
        writeln!(out, "{}", json(&st)).map_err(io_err)?;
        return Ok(());
    }
    let counts: Vec<String> = st
        .by_state
        .iter()
        .map(|(s, n)| format!("{s} {n}"))
        .collect();
    let mut text = format!(
        "database: {}\nlifecycles: {} ({})\n",
        db.display(),
        st.total,
        counts.join(", ")
    );
    text.push_str(&format!(
        "slots: {} started ({} today, UTC), {} skipped\n",
        st.slots_started, st.started_today, st.slots_skipped
    ));
    for k in &st.recent_skips {
        let note = k.note.as_deref().unwrap_or("no reason recorded");
        text.push_str(&format!("skipped slot {}: {note}\n", k.scheduled_at));
    }
    match &st.next {
        Some(n) => text.push_str(&format!(
            "next step: {} of lifecycle {}{} at {} ({})\n",
            n.stage,
            n.lifecycle_id,
            n.ticket_id
                .map(|t| format!(" (ticket {t})"))
                .unwrap_or_default(),
            n.due_at,
            if n.due_in_ms > 0 {
                format!("in {}", format_duration(n.due_in_ms))
            } else {
                "overdue".into()
            }
        )),
        None => text.push_str("next step: none pending\n"),
    }
    for r in &st.retrying {
        text.push_str(&format!(
            "retrying: lifecycle {} {} (attempt {}, next at {}): {}\n",
            r.lifecycle_id,
            r.stage,
            r.attempts,
            r.due_at,
            r.last_error.as_deref().unwrap_or("")
        ));
    }
    for l in store.leased_steps(now).await? {
        let ticket = l
            .ticket_id
            .map(|t| format!(" (ticket {t})"))
            .unwrap_or_default();
        let what = if l.expired {
            "lease expired (taken back by the running daemon, or at the next start)"
        } else {
            "running"
        };
        text.push_str(&format!(
            "{what}: lifecycle {}{ticket} {} (attempt {})\n",
            l.lifecycle_id, l.stage, l.attempts
        ));
    }
    for f in &st.failed {
        text.push_str(&format!(
            "{}: lifecycle {}{} at {}: {}\n",
            f.state,
            f.lifecycle_id,
            f.ticket_id
                .map(|t| format!(" (ticket {t})"))
                .unwrap_or_default(),
            f.updated_at,
            f.reason.as_deref().unwrap_or("no reason recorded")
        ));
    }
    out.write_all(text.as_bytes()).map_err(io_err)
}

pub async fn show(db: &Path, id: i64, as_json: bool) -> Result<(), AppError> {
    let store = open(db, &format!("show {id}")).await?;
    let Some(l) = store.find_lifecycle(id).await? else {
        return Err(AppError::Usage(format!(
            "no lifecycle or ticket with id {id} in {}; `ticketsim status` lists them",
            db.display()
        )));
    };
    let steps = store.steps(l.id).await?;
    let messages = store.messages(l.id).await?;
    let mut out = std::io::stdout().lock();
    if as_json {
        let record = crate::app::export::record(&store, &l).await?;
        let v =
            serde_json::json!({ "lifecycle": record, "steps": steps, "last_error": l.last_error });
        writeln!(out, "{}", json(&v)).map_err(io_err)?;
        return Ok(());
    }
    let mut t = format!(
        "lifecycle {}  state {}  created {}\n",
        l.id,
        l.state,
        format_iso(l.created_at)
    );
    if let Some(tid) = l.ticket_id {
        t.push_str(&format!("ticket {tid}\n"));
    }
    if let Some(p) = &l.plan {
        t.push_str(&format!(
            "customer {} ({})  agent {} ({})\n",
            p.contact_name, p.contact_id, p.agent_name, p.agent_id
        ));
        t.push_str(&format!(
            "{} / {}  type {}  priority {}  tags {}\n",
            p.category,
            p.scenario,
            p.ticket_type,
            p.priority,
            p.tags.join(",")
        ));
        t.push_str(&format!(
            "playbook {}  customer tone {}\n",
            p.playbook, p.tone
        ));
        t.push_str(&format!("subject: {}\n", p.subject));
    }
    if let Some(e) = &l.last_error {
        t.push_str(&format!("last error: {e}\n"));
    }
    t.push_str("steps:\n");
    for s in &steps {
        let params = match s.params.is_empty() {
            true => String::new(),
            false => format!("  [{}]", s.params.summary()),
        };
        t.push_str(&format!(
            "  {:<15} {:<9} due {}  attempts {}{params}{}\n",
            s.stage.as_str(),
            s.state.as_str(),
            s.due_at,
            s.attempts,
            s.last_error
                .as_ref()
                .map(|e| format!("  ({e})"))
                .unwrap_or_default()
        ));
    }
    t.push_str("messages:\n");
    for m in &messages {
        let when = m
            .sent_at
            .map(format_iso)
            .unwrap_or_else(|| "not sent yet".into());
        let private = if m.private { " private note" } else { "" };
        t.push_str(&format!(
            "  [{when}] {} {} ({}){private}:\n    {}\n",
            m.stage,
            m.author_kind,
            m.author_id,
            crate::content::html_to_text(&m.body)
        ));
    }
    out.write_all(t.as_bytes()).map_err(io_err)
}
