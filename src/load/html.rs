//! `--html report.html`: one self-contained file (inline SVG and CSS, no
//! script, no URL) with the charts over time and the summary table. Each
//! chart also carries its numbers in a `data-series` attribute (JSON).

use std::fmt::Write as _;

use serde_json::json;

use super::recorder::Recorder;
use super::stats::Bucket;
use super::summary::{Meta, to_text};

const COLOURS: &[&str] = &[
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
];
const W: f64 = 760.0;
const H: f64 = 200.0;
const PAD: f64 = 40.0;

/// One line of a chart: a label and a value per bucket (gaps as `None`).
pub struct Line {
    pub label: String,
    pub values: Vec<Option<f64>>,
}

/// The charts' ids, titles and lines, from the series.
pub fn charts(r: &Recorder) -> Vec<(&'static str, &'static str, Vec<Line>)> {
    let s = &r.series;
    let per_s = 1_000.0 / s.width_ms as f64;
    let col = |f: &dyn Fn(&Bucket) -> Option<f64>| s.buckets.iter().map(f).collect::<Vec<_>>();
    let line = |label: &str, values| Line {
        label: label.to_string(),
        values,
    };
    let mut latency = Vec::new();
    for (i, name) in s.endpoints.iter().enumerate() {
        latency.push(line(
            &format!("{name} p99 (ms)"),
            col(&|b| b.latency.get(i).and_then(|h| h.quantile(0.99))),
        ));
    }
    vec![
        (
            "arrivals",
            "Arrival rate vs target (lifecycles/min)",
            vec![
                line(
                    "arrivals/min",
                    col(&|b| Some(b.arrivals as f64 * per_s * 60.0)),
                ),
                line("target/min", col(&|b| Some(b.target() * 60.0))),
            ],
        ),
        (
            "requests",
            "Requests/s",
            vec![line(
                "requests/s",
                col(&|b| Some(b.requests as f64 * per_s)),
            )],
        ),
        (
            "in_flight",
            "Lifecycles in flight",
            vec![line("in flight", col(&|b| Some(b.in_flight_max as f64)))],
        ),
        (
            "lateness",
            "Step lateness (ms)",
            vec![
                line("p50", col(&|b| b.lateness.quantile(0.5))),
                line("p99", col(&|b| b.lateness.quantile(0.99))),
            ],
        ),
        ("latency", "API latency p99 by endpoint (ms)", latency),
        (
            "rate_limit",
            "429s and Retry-After waits",
            vec![
                line("429s", col(&|b| Some(b.http_429 as f64))),
                line(
                    "Retry-After waited (s)",
                    col(&|b| Some(b.retry_after_ms as f64 / 1_000.0)),
                ),
            ],
        ),
    ]
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn svg(id: &str, title: &str, lines: &[Line], width_ms: i64) -> String {
    let n = lines
        .iter()
        .map(|l| l.values.len())
        .max()
        .unwrap_or(0)
        .max(2);
    let top = lines
        .iter()
        .flat_map(|l| l.values.iter().flatten())
        .fold(0.0f64, |a, &b| a.max(b))
        .max(1e-9);
    let x = |i: usize| PAD + (W - 2.0 * PAD) * i as f64 / (n - 1) as f64;
    let y = |v: f64| H - PAD / 2.0 - (H - PAD) * v / top;
    let data = json!(
        lines
            .iter()
            .map(|l| json!({"label": l.label, "values": l.values}))
            .collect::<Vec<_>>()
    );
    let mut s = format!(
        "<figure><figcaption>{}</figcaption><svg id=\"{id}\" viewBox=\"0 0 {W} {H}\" width=\"{W}\" height=\"{H}\" data-bucket-ms=\"{width_ms}\" data-series='{}'>",
        esc(title),
        esc(&data.to_string())
    );
    let _ = write!(
        s,
        "<line x1=\"{PAD}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#999\"/>",
        y(0.0),
        W - PAD,
        y(0.0)
    );
    let _ = write!(
        s,
        "<text x=\"2\" y=\"{}\" font-size=\"10\">{}</text><text x=\"2\" y=\"{}\" font-size=\"10\">0</text>",
        y(top) + 4.0,
        fmt_num(top),
        y(0.0)
    );
    let _ = write!(
        s,
        "<text x=\"{}\" y=\"{}\" font-size=\"10\" text-anchor=\"end\">{} s</text>",
        W - PAD,
        H - 2.0,
        (n as i64 * width_ms) / 1_000
    );
    for (k, l) in lines.iter().enumerate() {
        let c = COLOURS[k % COLOURS.len()];
        let pts: Vec<String> = l
            .values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.map(|v| format!("{:.1},{:.1}", x(i), y(v))))
            .collect();
        let _ = write!(
            s,
            "<polyline fill=\"none\" stroke=\"{c}\" stroke-width=\"1.5\" points=\"{}\"/>",
            pts.join(" ")
        );
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"{c}\">{}</text>",
            PAD + 8.0,
            14.0 + 13.0 * k as f64,
            esc(&l.label)
        );
    }
    s + "</svg></figure>\n"
}

fn fmt_num(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

/// The whole report.
pub fn render(r: &Recorder, m: &Meta, crossed: &[String], title: &str) -> String {
    let mut body = String::new();
    for (id, t, lines) in charts(r) {
        body += &svg(id, t, &lines, r.series.width_ms);
    }
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title>\n<style>body{{font-family:sans-serif;margin:2em;max-width:820px}}figure{{margin:1em 0}}figcaption{{font-weight:bold}}pre{{background:#f6f6f6;padding:1em;overflow-x:auto;font-size:12px}}</style></head>\n<body><h1>{t}</h1>\n<h2>Summary</h2><pre id=\"summary\">{}</pre>\n<h2>Over time</h2>\n{body}</body></html>\n",
        esc(&to_text(r, m, crossed)),
        t = esc(title)
    )
}

#[cfg(test)]
mod tests {
    use super::super::recorder::StepOutcome;
    use super::*;

    #[test]
    fn the_report_is_self_contained_and_holds_every_charts_data() {
        let mut r = Recorder::new(0);
        for i in 0..50 {
            r.arrival(i * 200, 5.0);
            r.response(
                i * 200,
                "POST /api/v2/tickets/{id}/reply",
                if i == 7 { 429 } else { 201 },
                30 + i,
                Some(1_500),
            );
            r.step(
                i * 200,
                Some(i),
                1_000,
                StepOutcome::Done {
                    first: true,
                    last: i % 2 == 0,
                },
            );
        }
        let m = Meta {
            target_count: 50.0,
            window_ms: 10_000,
            elapsed_ms: 10_000,
            budget_per_min: 600.0,
        };
        let html = render(&r, &m, &[], "ticketsim load <test>");
        for attr in ["src=", "href="] {
            for part in html.split(attr).skip(1) {
                assert!(
                    !part.trim_start_matches(['"', '\'']).starts_with("http"),
                    "{attr}{}",
                    &part[..40.min(part.len())]
                );
            }
        }
        assert!(
            !html.contains("http://") && !html.contains("https://") && !html.contains("<script")
        );
        assert!(html.contains("&lt;test&gt;") && !html.contains("THRESHOLD"));
        for (id, _, lines) in charts(&r) {
            assert!(html.contains(&format!("id=\"{id}\"")), "{id}");
            for l in &lines {
                let series = esc(&json!({"label": l.label, "values": l.values}).to_string());
                assert!(
                    html.contains(&series),
                    "chart {id} lacks its data for {}",
                    l.label
                );
            }
        }
        assert!(html.contains("POST /api/v2/tickets/{id}/reply p99"));
    }
}
