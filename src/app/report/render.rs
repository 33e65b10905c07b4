//! The report as text (aligned tables), JSON (one object) or CSV (long format:
//! `section,name,metric,value`, one figure a row, easy to pivot).

use super::stats::Timing;
use super::{Analytics, ReportFormat};
use crate::app::export::csv_field;
use crate::domain::format_duration;

pub fn render(a: &Analytics, format: ReportFormat) -> String {
    match format {
        ReportFormat::Text => text(a),
        ReportFormat::Json => {
            let mut s = serde_json::to_string_pretty(a)
                .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
            s.push('\n');
            s
        }
        ReportFormat::Csv => csv(a),
    }
}

/// A duration for people: ms below a second, tenths below a minute.
fn dur(ms: Option<i64>) -> String {
    match ms {
        None => "-".into(),
        Some(ms) if ms < 1_000 => format!("{ms}ms"),
        Some(ms) if ms < 60_000 => format!("{:.1}s", ms as f64 / 1_000.0),
        Some(ms) => format_duration(ms),
    }
}

fn p50_p90(t: &Timing) -> String {
    format!("{} / {}", dur(t.p50_ms), dur(t.p90_ms))
}

/// Columns padded to their widest cell; the first left-aligned, the rest right.
fn table(head: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = head.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (c, w))| {
                if i == 0 {
                    format!("{c:<w$}")
                } else {
                    format!("{c:>w$}")
                }
            })
            .collect();
        format!("  {}\n", padded.join("  ").trim_end())
    };
    let mut out = line(head.to_vec());
    for r in rows {
        out.push_str(&line(r.iter().map(String::as_str).collect()));
    }
    if rows.is_empty() {
        out.push_str("  (none)\n");
    }
    out
}

fn text(a: &Analytics) -> String {
    let t = &a.totals;
    let mut s = format!(
        "ticketsim report: database {}, lifecycles created from {} until {}\n\
         totals: {} lifecycles, {} tickets, {} closed, {} failed, {} cancelled, {} in progress\n",
        a.database,
        a.since.as_deref().unwrap_or("the start"),
        a.until.as_deref().unwrap_or("now"),
        t.lifecycles,
        t.tickets,
        t.closed,
        t.failed,
        t.cancelled,
        t.in_progress
    );
    let agents: Vec<Vec<String>> = a
        .agents
        .iter()
        .map(|g| {
            vec![
                format!("{} ({})", g.name, g.agent_id),
                g.tickets.to_string(),
                g.replies.to_string(),
                p50_p90(&g.first_reply),
                p50_p90(&g.resolution),
            ]
        })
        .collect();
    s.push_str("\nper agent (times from ticket creation; p50 / p90)\n");
    s.push_str(&table(
        &["agent", "tickets", "replies", "first reply", "resolution"],
        &agents,
    ));
    let groups: Vec<Vec<String>> = a
        .groups
        .iter()
        .map(|g| {
            vec![
                g.group_id
                    .map_or("not reassigned".into(), |id| format!("group {id}")),
                g.tickets.to_string(),
                g.resolved.to_string(),
                p50_p90(&g.resolution),
            ]
        })
        .collect();
    s.push_str("\nper group (the group a ticket was escalated to)\n");
    s.push_str(&table(
        &["group", "tickets", "resolved", "resolution"],
        &groups,
    ));
    let days: Vec<Vec<String>> = a
        .days
        .iter()
        .map(|d| {
            vec![
                d.day.clone(),
                d.lifecycles.to_string(),
                d.tickets.to_string(),
                d.failed.to_string(),
            ]
        })
        .collect();
    s.push_str("\nper day (UTC)\n");
    s.push_str(&table(&["day", "lifecycles", "tickets", "failed"], &days));
    let sc: Vec<Vec<String>> = a
        .scenarios
        .iter()
        .map(|x| {
            vec![
                format!("{} / {}", x.category, x.scenario),
                x.lifecycles.to_string(),
                x.tickets.to_string(),
                x.closed.to_string(),
                x.failed.to_string(),
            ]
        })
        .collect();
    s.push_str("\nper category / scenario\n");
    s.push_str(&table(
        &[
            "category / scenario",
            "lifecycles",
            "tickets",
            "closed",
            "failed",
        ],
        &sc,
    ));
    let steps: Vec<Vec<String>> = a
        .steps
        .iter()
        .map(|x| {
            vec![
                x.kind.clone(),
                x.done.to_string(),
                x.failed.to_string(),
                x.cancelled.to_string(),
                x.open.to_string(),
                x.retried.to_string(),
                p50_p90(&x.duration),
                p50_p90(&x.lateness),
            ]
        })
        .collect();
    s.push_str("\nsteps by kind (time: claim to commit; late: due to claim; p50 / p90)\n");
    s.push_str(&table(
        &[
            "kind",
            "done",
            "failed",
            "cancelled",
            "open",
            "retried",
            "time",
            "late",
        ],
        &steps,
    ));
    s.push_str(&format!(
        "\nAPI: {}.\nslots skipped by the daily cap: {}\n",
        a.api.note, a.api.slots_skipped_by_daily_cap
    ));
    s
}

fn csv(a: &Analytics) -> String {
    let mut rows = Rows::default();
    let t = &a.totals;
    for (m, v) in [
        ("lifecycles", t.lifecycles),
        ("tickets", t.tickets),
        ("closed", t.closed),
        ("failed", t.failed),
        ("cancelled", t.cancelled),
        ("in_progress", t.in_progress),
    ] {
        rows.num("totals", "", m, Some(v));
    }
    for g in &a.agents {
        let name = format!("{} ({})", g.name, g.agent_id);
        rows.num("agent", &name, "tickets", Some(g.tickets));
        rows.num("agent", &name, "replies", Some(g.replies));
        rows.timing("agent", &name, "first_reply", &g.first_reply);
        rows.timing("agent", &name, "resolution", &g.resolution);
    }
    for g in &a.groups {
        let name = g.group_id.map_or(String::new(), |id| id.to_string());
        rows.num("group", &name, "tickets", Some(g.tickets));
        rows.num("group", &name, "resolved", Some(g.resolved));
        rows.timing("group", &name, "resolution", &g.resolution);
    }
    for d in &a.days {
        rows.num("day", &d.day, "lifecycles", Some(d.lifecycles));
        rows.num("day", &d.day, "tickets", Some(d.tickets));
        rows.num("day", &d.day, "failed", Some(d.failed));
    }
    for x in &a.scenarios {
        let name = format!("{}/{}", x.category, x.scenario);
        for (m, v) in [
            ("lifecycles", x.lifecycles),
            ("tickets", x.tickets),
            ("closed", x.closed),
            ("failed", x.failed),
        ] {
            rows.num("scenario", &name, m, Some(v));
        }
    }
    for x in &a.steps {
        for (m, v) in [
            ("done", x.done),
            ("failed", x.failed),
            ("cancelled", x.cancelled),
            ("open", x.open),
            ("attempts", x.attempts),
            ("retried", x.retried),
        ] {
            rows.num("step", &x.kind, m, Some(v));
        }
        rows.timing("step", &x.kind, "duration", &x.duration);
        rows.timing("step", &x.kind, "lateness", &x.lateness);
    }
    rows.num(
        "api",
        "",
        "slots_skipped_by_daily_cap",
        Some(a.api.slots_skipped_by_daily_cap),
    );
    rows.0
        .push(format!("api,,latency_recorded,{}", a.api.latency_recorded));
    let mut out = String::from("section,name,metric,value\n");
    for r in rows.0 {
        out.push_str(&r);
        out.push('\n');
    }
    out
}

#[derive(Default)]
struct Rows(Vec<String>);

impl Rows {
    /// A row; an unknown value (no data) is an empty cell.
    fn num(&mut self, section: &str, name: &str, metric: &str, v: Option<i64>) {
        let v = v.map(|v| v.to_string()).unwrap_or_default();
        self.0
            .push(format!("{section},{},{metric},{v}", csv_field(name)));
    }

    fn timing(&mut self, section: &str, name: &str, what: &str, t: &Timing) {
        self.num(
            section,
            name,
            &format!("{what}_count"),
            Some(t.count as i64),
        );
        self.num(section, name, &format!("{what}_avg_ms"), t.avg_ms);
        self.num(section, name, &format!("{what}_p50_ms"), t.p50_ms);
        self.num(section, name, &format!("{what}_p90_ms"), t.p90_ms);
        self.num(section, name, &format!("{what}_max_ms"), t.max_ms);
    }
}
