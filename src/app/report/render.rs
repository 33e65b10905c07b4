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
    s.push_str(&people_text(a));
    s.push_str(&volume_text(a));
    s.push_str(&steps_text(a));
    s.push_str(&format!(
        "\nAPI: {}.\nslots skipped by the daily cap: {}\n",
        a.api.note, a.api.slots_skipped_by_daily_cap
    ));
    s
}

fn people_text(a: &Analytics) -> String {
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
    format!(
        "\nper agent (times from ticket creation; p50 / p90)\n{}\nper group (the group a ticket was escalated to)\n{}",
        table(
            &["agent", "tickets", "replies", "first reply", "resolution"],
            &agents
        ),
        table(&["group", "tickets", "resolved", "resolution"], &groups)
    )
}

fn volume_text(a: &Analytics) -> String {
    let days: Vec<Vec<String>> = a
        .days
        .iter()
        .map(|d| {
            let n = [d.lifecycles, d.tickets, d.failed];
            std::iter::once(d.day.clone())
                .chain(n.iter().map(i64::to_string))
                .collect()
        })
        .collect();
    let scenarios: Vec<Vec<String>> = a
        .scenarios
        .iter()
        .map(|x| {
            let n = [x.lifecycles, x.tickets, x.closed, x.failed];
            std::iter::once(format!("{} / {}", x.category, x.scenario))
                .chain(n.iter().map(i64::to_string))
                .collect()
        })
        .collect();
    format!(
        "\nper day (UTC)\n{}\nper category / scenario\n{}",
        table(&["day", "lifecycles", "tickets", "failed"], &days),
        table(
            &[
                "category / scenario",
                "lifecycles",
                "tickets",
                "closed",
                "failed"
            ],
            &scenarios
        )
    )
}

fn steps_text(a: &Analytics) -> String {
    let steps: Vec<Vec<String>> = a
        .steps
        .iter()
        .map(|x| {
            let n = [x.done, x.failed, x.cancelled, x.open, x.retried];
            std::iter::once(x.kind.clone())
                .chain(n.iter().map(i64::to_string))
                .chain([p50_p90(&x.duration), p50_p90(&x.lateness)])
                .collect()
        })
        .collect();
    format!(
        "\nsteps by kind (time: claim to commit; late: due to claim; p50 / p90)\n{}",
        table(
            &[
                "kind",
                "done",
                "failed",
                "cancelled",
                "open",
                "retried",
                "time",
                "late"
            ],
            &steps
        )
    )
}

fn csv(a: &Analytics) -> String {
    let mut rows = Rows::default();
    let t = &a.totals;
    let totals = [
        ("lifecycles", t.lifecycles),
        ("tickets", t.tickets),
        ("closed", t.closed),
        ("failed", t.failed),
        ("cancelled", t.cancelled),
        ("in_progress", t.in_progress),
    ];
    rows.nums("totals", "", &totals);
    people_csv(a, &mut rows);
    volume_csv(a, &mut rows);
    for x in &a.steps {
        let n = [
            ("done", x.done),
            ("failed", x.failed),
            ("cancelled", x.cancelled),
            ("open", x.open),
            ("attempts", x.attempts),
            ("retried", x.retried),
        ];
        rows.nums("step", &x.kind, &n);
        rows.timing("step", &x.kind, "duration", &x.duration);
        rows.timing("step", &x.kind, "lateness", &x.lateness);
    }
    let skipped = a.api.slots_skipped_by_daily_cap;
    rows.nums("api", "", &[("slots_skipped_by_daily_cap", skipped)]);
    rows.0
        .push(format!("api,,latency_recorded,{}", a.api.latency_recorded));
    let mut out = String::from("section,name,metric,value\n");
    for r in rows.0 {
        out.push_str(&r);
        out.push('\n');
    }
    out
}

fn people_csv(a: &Analytics, rows: &mut Rows) {
    for g in &a.agents {
        let name = format!("{} ({})", g.name, g.agent_id);
        rows.nums(
            "agent",
            &name,
            &[("tickets", g.tickets), ("replies", g.replies)],
        );
        rows.timing("agent", &name, "first_reply", &g.first_reply);
        rows.timing("agent", &name, "resolution", &g.resolution);
    }
    for g in &a.groups {
        let name = g.group_id.map_or(String::new(), |id| id.to_string());
        rows.nums(
            "group",
            &name,
            &[("tickets", g.tickets), ("resolved", g.resolved)],
        );
        rows.timing("group", &name, "resolution", &g.resolution);
    }
}

fn volume_csv(a: &Analytics, rows: &mut Rows) {
    for d in &a.days {
        let n = [
            ("lifecycles", d.lifecycles),
            ("tickets", d.tickets),
            ("failed", d.failed),
        ];
        rows.nums("day", &d.day, &n);
    }
    for x in &a.scenarios {
        let name = format!("{}/{}", x.category, x.scenario);
        let n = [
            ("lifecycles", x.lifecycles),
            ("tickets", x.tickets),
            ("closed", x.closed),
            ("failed", x.failed),
        ];
        rows.nums("scenario", &name, &n);
    }
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

    fn nums(&mut self, section: &str, name: &str, figures: &[(&str, i64)]) {
        for (metric, v) in figures {
            self.num(section, name, metric, Some(*v));
        }
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

#[cfg(test)]
mod tests {
    use super::super::stats::{AgentStats, Totals};
    use super::super::{API_NOTE, ApiFigures};
    use super::*;

    fn sample() -> Analytics {
        Analytics {
            database: "t.db".into(),
            since: None,
            until: None,
            totals: Totals {
                lifecycles: 1,
                tickets: 1,
                ..Totals::default()
            },
            agents: vec![AgentStats {
                agent_id: 7,
                name: "Doe, Jane".into(),
                tickets: 1,
                replies: 2,
                first_reply: Timing::of(vec![1_500]),
                resolution: Timing::of(vec![]),
            }],
            groups: vec![],
            days: vec![],
            scenarios: vec![],
            steps: vec![],
            api: ApiFigures {
                latency_recorded: false,
                note: API_NOTE,
                slots_skipped_by_daily_cap: 3,
            },
        }
    }

    #[test]
    fn csv_is_one_quoted_figure_a_row_and_unknown_figures_are_empty() {
        let out = render(&sample(), ReportFormat::Csv);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "section,name,metric,value");
        assert!(
            lines.contains(&"agent,\"Doe, Jane (7)\",replies,2"),
            "{out}"
        );
        assert!(lines.contains(&"agent,\"Doe, Jane (7)\",first_reply_p50_ms,1500"));
        assert!(lines.contains(&"agent,\"Doe, Jane (7)\",resolution_p50_ms,"));
        assert!(lines.contains(&"api,,slots_skipped_by_daily_cap,3"));
        assert!(lines.contains(&"api,,latency_recorded,false"));
    }

    #[test]
    fn text_has_every_section_and_says_what_is_not_recorded() {
        let out = render(&sample(), ReportFormat::Text);
        for part in [
            "per agent",
            "Doe, Jane (7)",
            "1.5s / 1.5s",
            "per group",
            "per day (UTC)",
            "per category / scenario",
            "steps by kind",
            "(none)",
            "not recorded in the database",
        ] {
            assert!(out.contains(part), "{part} missing:\n{out}");
        }
        let json: serde_json::Value =
            serde_json::from_str(&render(&sample(), ReportFormat::Json)).unwrap();
        assert_eq!(json["agents"][0]["first_reply"]["p90_ms"], 1500);
    }
}
