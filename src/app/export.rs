//! `export` and `show --json`: lifecycles as training data. Each message keeps
//! its HTML `body` and gains the plain `text` a model would be trained on.

use serde::Serialize;

use super::AppError;
use crate::clock::UnixMs;
use crate::content::html_to_text;
use crate::domain::{LifecycleState, Stage};
use crate::store::{ExportLifecycle, ExportRecord, LifecycleFilter, Store};

/// One lifecycle as exported: its fields, then its messages with their text.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Record {
    #[serde(flatten)]
    pub lifecycle: ExportLifecycle,
    pub messages: Vec<Message>,
}

/// One sent message. Private notes carry `"private": true`; public ones no key.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Message {
    pub step: Stage,
    pub author: String,
    pub author_id: i64,
    /// HTML, as sent.
    pub body: String,
    /// The body as plain text: tags stripped, entities decoded.
    pub text: String,
    pub sent_at: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub private: bool,
}

impl From<ExportRecord> for Record {
    fn from(r: ExportRecord) -> Record {
        let messages = r
            .messages
            .into_iter()
            .map(|m| Message {
                text: html_to_text(&m.body),
                step: m.step,
                author: m.author,
                author_id: m.author_id,
                body: m.body,
                sent_at: m.sent_at,
                private: m.private,
            })
            .collect();
        Record {
            lifecycle: r.lifecycle,
            messages,
        }
    }
}

/// The export record of one lifecycle.
pub async fn record(store: &Store, l: &crate::store::Lifecycle) -> Result<Record, AppError> {
    Ok(store.export_record(l).await?.into())
}

/// The `--since`, `--state` and `--playbook` options, as typed.
#[derive(Debug, Clone, Default)]
pub struct ExportOptions {
    /// An ISO 8601 time (`2026-12-01`, `2026-12-01T08:00:00Z`) or a duration back
    /// from now (`24h`, `7d`).
    pub since: Option<String>,
    pub state: Option<String>,
    pub playbook: Option<String>,
}

impl ExportOptions {
    /// Checks every option; a bad value is a usage error naming the option.
    pub async fn filter(&self, store: &Store, now: UnixMs) -> Result<LifecycleFilter, AppError> {
        let since = match self.since.as_deref() {
            None => None,
            Some(s) => Some(parse_since(s, now)?),
        };
        let state = match self.state.as_deref() {
            None => None,
            Some(s) => Some(s.parse::<LifecycleState>().map_err(|_| {
                let known: Vec<_> = LifecycleState::ALL.iter().map(|s| s.as_str()).collect();
                AppError::Usage(format!(
                    "--state {s:?}: no such state; use one of {}",
                    known.join(", ")
                ))
            })?),
        };
        if let Some(p) = &self.playbook {
            check_playbook(store, p).await?;
        }
        Ok(LifecycleFilter {
            since,
            state,
            playbook: self.playbook.clone(),
        })
    }
}

pub fn parse_since(s: &str, now: UnixMs) -> Result<UnixMs, AppError> {
    if let Some(at) = crate::clock::parse_iso(s.trim()) {
        return Ok(at);
    }
    match crate::domain::parse_duration(s) {
        Ok(ago) => Ok(now - ago),
        Err(_) => Err(AppError::Usage(format!(
            "--since {s:?}: expected an ISO date or time (2026-12-01, 2026-12-01T08:00:00Z) or a duration back from now (24h, 7d)"
        ))),
    }
}

/// A playbook is known when the built-in library has it or some lifecycle uses it.
async fn check_playbook(store: &Store, name: &str) -> Result<(), AppError> {
    let mut known = crate::content::Library::embedded().playbook_names();
    for used in store.playbooks_in_use().await? {
        if !known.contains(&used) {
            known.push(used);
        }
    }
    if known.iter().any(|k| k == name) {
        return Ok(());
    }
    Err(AppError::Usage(format!(
        "--playbook {name:?}: no such playbook; use one of {}",
        known.join(", ")
    )))
}

/// Calls `each` for every matching lifecycle in id order, reading a page of
/// `page` lifecycles at a time so that memory stays flat however large the table.
pub async fn for_each(
    store: &Store,
    filter: &LifecycleFilter,
    page: i64,
    mut each: impl FnMut(Record) -> Result<(), AppError>,
) -> Result<(), AppError> {
    let mut after = 0;
    loop {
        let lifecycles = store.lifecycles_matching(after, page, filter).await?;
        let Some(last) = lifecycles.last() else {
            return Ok(());
        };
        after = last.id;
        for l in &lifecycles {
            each(record(store, l).await?)?;
        }
    }
}

/// Quotes a CSV field when it holds a comma, quote or line break (RFC 4180).
pub fn csv_field(f: &str) -> String {
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
    fn since_takes_an_iso_time_or_a_duration_back_from_now() {
        let day = 86_400_000;
        assert_eq!(parse_since("24h", 10 * day).unwrap(), 9 * day);
        assert_eq!(parse_since("1970-01-02", 0).unwrap(), day);
        assert_eq!(parse_since("1970-01-02T00:00:01Z", 0).unwrap(), day + 1_000);
        let err = parse_since("yesterday", 0).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("--since"), "{err}");
    }

    #[test]
    fn the_text_of_a_message_is_its_body_without_tags_or_entities() {
        let store_rec = ExportRecord {
            lifecycle: ExportLifecycle {
                lifecycle_id: 1,
                state: "closed".into(),
                created_at: "2026-01-01T00:00:00Z".into(),
                ..Default::default()
            },
            messages: vec![crate::store::ExportMessage {
                step: Stage::Create,
                author: "customer".into(),
                author_id: 3,
                body: "<p>It&#39;s down &amp; out</p>".into(),
                sent_at: "2026-01-01T00:00:00Z".into(),
                private: false,
            }],
        };
        let r = Record::from(store_rec);
        assert_eq!(r.messages[0].text, "It's down & out");
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(
            json["messages"][0]["body"],
            "<p>It&#39;s down &amp; out</p>"
        );
        assert!(json.get("type").is_some() && json.get("tone").is_some());
    }
}
