//! `status`, `show` and `export`: read-only views of the database.

use std::io::Write;
use std::path::Path;

use super::ExportFormat;
use crate::app::AppError;
use crate::clock::{Clock, SystemClock, format_iso};
use crate::domain::format_duration;
use crate::store::{ExportRecord, Store};

fn io_err(e: std::io::Error) -> AppError {
    AppError::Io(format!("cannot write output: {e}"))
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

pub async fn status(db: &Path, as_json: bool) -> Result<(), AppError> {
    let store = Store::open_read_only(db).await?;
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
        "slots: {} started, {} skipped\n",
        st.slots_started, st.slots_skipped
    ));
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
    let store = Store::open_read_only(db).await?;
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
        let record = store.export_record(&l).await?;
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

/// Streams every lifecycle, a page at a time, so memory stays flat.
pub async fn export(db: &Path, format: ExportFormat) -> Result<(), AppError> {
    let store = Store::open_read_only(db).await?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if format == ExportFormat::Csv {
        writeln!(
            out,
            "lifecycle_id,ticket_id,state,contact_id,agent_id,created_at,messages"
        )
        .map_err(io_err)?;
    }
    let mut after = 0;
    loop {
        let page = store.lifecycles_after(after, 500).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for l in &page {
            let r = store.export_record(l).await?;
            let line = match format {
                ExportFormat::Jsonl => json(&r),
                ExportFormat::Csv => csv_row(&r),
            };
            writeln!(out, "{line}").map_err(io_err)?;
        }
    }
    out.flush().map_err(io_err)
}

fn csv_row(r: &ExportRecord) -> String {
    let opt = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_default();
    [
        r.lifecycle_id.to_string(),
        opt(r.ticket_id),
        r.state.clone(),
        opt(r.contact_id),
        opt(r.agent_id),
        r.created_at.clone(),
        json(&r.messages),
    ]
    .iter()
    .map(|f| csv_field(f))
    .collect::<Vec<_>>()
    .join(",")
}

/// Quotes a CSV field when it holds a comma, quote or line break (RFC 4180).
fn csv_field(f: &str) -> String {
    if f.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", f.replace('"', "\"\""))
    } else {
        f.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_with_separators_are_quoted_and_quotes_doubled() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
    }
}
