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
    let written = if args.json {
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

/// A lifecycle for people: the picks and fields, then every step with its message.
pub fn text(l: &PreviewLifecycle, of: usize) -> String {
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
    for step in &l.steps {
        t.push_str(&step_text(step));
    }
    t.push('\n');
    t
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
    for line in s.body.as_deref().map(lines).unwrap_or_default() {
        t.push_str(&format!("             {line}\n"));
    }
    t
}

/// The body's paragraphs and line breaks as plain-text lines.
fn lines(html: &str) -> Vec<String> {
    html.split("</p>")
        .flat_map(|p| p.split("<br>"))
        .map(crate::content::html_to_text)
        .filter(|l| !l.is_empty())
        .collect()
}
