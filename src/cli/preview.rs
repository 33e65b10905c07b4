//! `ticketsim preview`: the lifecycles `run` would generate, as text or JSON.

use std::io::Write;

use crate::app::{self, AppError, PreviewLifecycle, PreviewOptions, PreviewStep};
use crate::config::{ContentConfig, ProcessEnv};
use crate::dispatcher::Content;

/// The seed when neither `--seed` nor `TICKETSIM_SEED` is given, so that two
/// previews without options show the same lifecycles.
const DEFAULT_SEED: u64 = 1;

#[derive(Debug, Clone, clap::Args)]
pub struct PreviewArgs {
    /// How many lifecycles to show.
    #[arg(short = 'n', long = "count", default_value_t = 3,
          value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub count: u64,
    /// Run seed, as TICKETSIM_SEED [default: TICKETSIM_SEED, else 1].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Print one JSON array instead of text.
    #[arg(long)]
    pub json: bool,
    /// Playbooks to use: `all`, or a comma list of classic, pending, escalation,
    /// time-logged, reopen, no-answer [default: TICKETSIM_PLAYBOOKS, else classic].
    #[arg(long, value_name = "LIST")]
    pub playbooks: Option<String>,
    /// Print the corpus figures (distinct sentences, words, shared questions,
    /// lengths, outcomes, tone markers) instead of the lifecycles.
    #[arg(long, conflicts_with = "json")]
    pub stats: bool,
    /// Print every rule violation (doubled word, a/an, shared first name,
    /// cross-category phrase, time phrase, time entry) with its lifecycle and
    /// the line of the text output where it is.
    #[arg(long, conflicts_with = "json")]
    pub lint: bool,
    /// Made-up contacts to pick customers from.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub contacts: u64,
    /// Made-up agents to assign tickets to.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=1_000))]
    pub agents: u64,
}

pub fn run(args: PreviewArgs) -> Result<(), AppError> {
    let cfg = ContentConfig::from_env(&ProcessEnv)?;
    let playbooks = match &args.playbooks {
        Some(spec) => cfg
            .library
            .select_playbooks(spec)
            .map_err(|e| AppError::Usage(format!("--playbooks: {e}")))?,
        None => cfg.playbooks.clone(),
    };
    let content = Content {
        library: cfg.library.clone(),
        playbooks,
        offsets: cfg.stage_offsets,
        tag: cfg.tag.clone(),
    };
    let opts = PreviewOptions {
        count: args.count as usize,
        seed: args.seed.or(cfg.seed).unwrap_or(DEFAULT_SEED),
        contacts: args.contacts as usize,
        agents: args.agents as usize,
    };
    let lifecycles = app::preview(&content, &opts).map_err(AppError::Usage)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let written = if args.stats || args.lint {
        report(&mut out, &lifecycles, args.stats, args.lint)
    } else if args.json {
        serde_json::to_writer_pretty(&mut out, &lifecycles)
            .map_err(std::io::Error::other)
            .and_then(|()| writeln!(out))
    } else {
        lifecycles
            .iter()
            .try_for_each(|l| out.write_all(text(l, lifecycles.len()).as_bytes()))
    };
    written
        .and_then(|()| out.flush())
        .map_err(|e| AppError::Io(format!("cannot write output: {e}")))
}

/// `--stats` and/or `--lint`: the figures, then the violations with a count per rule.
fn report(
    out: &mut impl Write,
    lifecycles: &[PreviewLifecycle],
    stats: bool,
    lint: bool,
) -> std::io::Result<()> {
    if stats {
        write!(out, "{}", app::corpus_stats(lifecycles))?;
    }
    if !lint {
        return Ok(());
    }
    let violations = app::lint(lifecycles);
    let mut first_line = 1;
    for l in lifecycles {
        let lines = text_lines(l, lifecycles.len());
        for v in violations.iter().filter(|v| v.lifecycle == l.lifecycle) {
            let at = line_of(&lines, v).map_or(first_line, |i| first_line + i);
            writeln!(
                out,
                "line {at}: lifecycle {} ({}): {v}",
                l.lifecycle, l.scenario
            )?;
        }
        first_line += lines.len();
    }
    writeln!(out, "lint: {} violations", violations.len())?;
    for rule in app::Rule::ALL {
        let n = violations.iter().filter(|v| v.rule == rule).count();
        writeln!(out, "  {:<40} {n}", rule.describe())?;
    }
    Ok(())
}

/// The index among a lifecycle's text lines of the one a violation is on: the
/// first line of its step holding the excerpt, else the step's first line.
fn line_of(lines: &[(Option<usize>, String)], v: &app::Violation) -> Option<usize> {
    let step = v.step?;
    let in_step = |(_, (s, _)): &(usize, &(Option<usize>, String))| *s == Some(step);
    let mut candidates = lines.iter().enumerate().filter(in_step);
    let first = candidates.clone().next().map(|(i, _)| i);
    candidates
        .find(|(_, (_, t))| t.contains(&v.excerpt))
        .map(|(i, _)| i)
        .or(first)
}

/// A lifecycle for people: the picks and fields, then every step with its message.
pub fn text(l: &PreviewLifecycle, of: usize) -> String {
    text_lines(l, of)
        .into_iter()
        .map(|(_, t)| t + "\n")
        .collect()
}

/// The lines of [`text`], each with the index of the step it belongs to.
fn text_lines(l: &PreviewLifecycle, of: usize) -> Vec<(Option<usize>, String)> {
    let mut t = format!(
        "lifecycle {} of {of} (seed {})\n  {} / {}, playbook {}, customer tone {}\n",
        l.lifecycle, l.seed, l.category, l.scenario, l.playbook, l.tone
    );
    let email = l.customer.email.as_deref().unwrap_or("no email");
    t.push_str(&format!(
        "  customer {} <{email}>, agent {}\n  subject: {}\n  type {}, priority {}, tags {}\n",
        l.customer.name,
        l.agent.name,
        l.subject,
        l.ticket_type,
        l.priority,
        l.tags.join(", ")
    ));
    let mut lines: Vec<(Option<usize>, String)> =
        t.lines().map(|x| (None, x.to_string())).collect();
    for (i, step) in l.steps.iter().enumerate() {
        lines.extend(step_text(step).lines().map(|x| (Some(i), x.to_string())));
    }
    lines.push((None, String::new()));
    lines
}

fn step_text(s: &PreviewStep) -> String {
    let name = s.author_name.as_deref().unwrap_or_default();
    let who = match (&s.author, s.private) {
        (Some(a), true) => format!("{a} {name} (private)"),
        (Some(a), false) => format!("{a} {name}"),
        (None, _) => String::new(),
    };
    let what = if s.params.is_empty() {
        String::new()
    } else {
        format!("  [{}]", s.params.summary())
    };
    let mut t = format!("  +{:<8} {:<15} {who}{what}\n", s.offset, s.kind.as_str());
    if let Some(note) = &s.params.note {
        t.push_str(&format!("             note: {note}\n"));
    }
    for line in s.body.as_deref().map(app::body_lines).unwrap_or_default() {
        t.push_str(&format!("             {line}\n"));
    }
    t
}
