//! `export`: every lifecycle as JSON lines, or every message as a CSV row.

use std::io::Write;
use std::path::Path;

use super::ExportFormat;
use crate::app::AppError;
use crate::app::export::{ExportOptions, Record, csv_field, for_each};
use crate::clock::{Clock, SystemClock};

/// The CSV columns: the lifecycle's, repeated on each of its messages' rows,
/// then the message's.
const CSV_HEADER: &str = "lifecycle_id,ticket_id,state,created_at,subject,scenario,category,\
playbook,tone,priority,type,tags,contact_id,agent_id,message_index,step,author,author_id,\
private,sent_at,text,body";

fn io_err(e: std::io::Error) -> AppError {
    AppError::Io(format!("cannot write output: {e}"))
}

/// Streams the matching lifecycles a page at a time, so memory stays flat.
pub async fn export(db: &Path, format: ExportFormat, opts: &ExportOptions) -> Result<(), AppError> {
    let store = super::report::open(db, "export").await?;
    let filter = opts.filter(&store, SystemClock.now_ms()).await?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if format == ExportFormat::Csv {
        writeln!(out, "{CSV_HEADER}").map_err(io_err)?;
    }
    for_each(&store, &filter, 500, |r| {
        let text = match format {
            ExportFormat::Jsonl => format!("{}\n", super::report::json(&r)),
            ExportFormat::Csv => csv_rows(&r),
        };
        out.write_all(text.as_bytes()).map_err(io_err)
    })
    .await?;
    out.flush().map_err(io_err)
}

/// One row per message (RFC 4180 quoting); a lifecycle that has
/// sent nothing yet gets one row with empty message columns.
fn csv_rows(r: &Record) -> String {
    let opt = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_default();
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let l = &r.lifecycle;
    let head = [
        l.lifecycle_id.to_string(),
        opt(l.ticket_id),
        l.state.clone(),
        l.created_at.clone(),
        text(&l.subject),
        text(&l.scenario),
        text(&l.category),
        text(&l.playbook),
        text(&l.tone),
        opt(l.priority),
        text(&l.ticket_type),
        l.tags.join(","),
        opt(l.contact_id),
        opt(l.agent_id),
    ];
    let mut rows = String::new();
    let mut push = |tail: [String; 8]| {
        let fields: Vec<String> = head.iter().chain(&tail).map(|f| csv_field(f)).collect();
        rows.push_str(&fields.join(","));
        rows.push('\n');
    };
    if r.messages.is_empty() {
        push(Default::default());
    }
    for (i, m) in r.messages.iter().enumerate() {
        push([
            i.to_string(),
            m.step.as_str().to_string(),
            m.author.clone(),
            m.author_id.to_string(),
            m.private.to_string(),
            m.sent_at.clone(),
            m.text.clone(),
            m.body.clone(),
        ]);
    }
    rows
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

    #[test]
    fn every_csv_row_has_as_many_fields_as_the_header() {
        let n = CSV_HEADER.split(',').count();
        let r = Record {
            lifecycle: crate::store::ExportLifecycle {
                lifecycle_id: 1,
                state: "scheduled".into(),
                created_at: "t".into(),
                ..Default::default()
            },
            messages: vec![],
        };
        let row = csv_rows(&r);
        assert_eq!(row.trim_end().split(',').count(), n, "{row}");
    }
}
