//! Checks of `playbooks.json`: steps in time order, each with the fields its kind
//! needs (and no others), answers after questions, handovers after a reassign,
//! and every playbook ending with the ticket closed.

use std::collections::BTreeSet;

use super::checks::{check_tag, is_valid_tag};
use super::load::{At, Problems, quoted};
use super::playbook::{CLASSIC, CLOSED_STATUS, Playbook, Role, StepSpec};
use crate::domain::Stage;

pub(super) fn check_playbooks(playbooks: &[Playbook]) -> Problems {
    let mut out = Problems::default();
    out.require(
        playbooks.first().is_some_and(|p| p.name == CLASSIC),
        || format!("the first playbook must be \"{CLASSIC}\""),
        At::new("\"playbooks\"", &[]),
    );
    let mut names = BTreeSet::new();
    for p in playbooks {
        let anchor = quoted(&p.name);
        let at = At::new(&anchor, &[]);
        check_tag("playbook name", &p.name, at, &mut out);
        out.require(
            names.insert(&p.name),
            || format!("playbook \"{}\" is defined twice", p.name),
            at,
        );
        check_playbook_steps(p, &anchor, &mut out);
    }
    out
}

fn check_playbook_steps(p: &Playbook, anchor: &str, out: &mut Problems) {
    let at = At::new(anchor, &[]);
    let msg = |what: String| format!("playbook \"{}\": {what}", p.name);
    let mut last_at = 0.0;
    let mut earlier = Earlier::default();
    for (i, step) in p.steps.iter().enumerate() {
        let n = i + 1;
        out.require(
            step.at.is_finite() && step.at > last_at,
            || {
                msg(format!(
                    "step {n}: \"at\" must be greater than the step before (and 0)"
                ))
            },
            at,
        );
        last_at = step.at;
        if let Some(problem) = step_problem(step, earlier) {
            out.push(msg(format!("step {n} ({}): {problem}", step.kind)), at);
        }
        earlier.asked |= step.text == Some(Role::Question);
        earlier.reassigned |= step.kind == Stage::Reassign;
    }
    // The trainee playbook has no steps: the customer's reactions close it.
    let trainee = p.name == super::training::TRAINEE && p.steps.is_empty();
    let closes = trainee
        || p.steps
            .last()
            .is_some_and(|s| s.kind == Stage::Close || s.status == Some(CLOSED_STATUS));
    out.require(
        closes,
        || msg("the last step must close the ticket".into()),
        at,
    );
}

/// What the steps before one did, for the steps that depend on it.
#[derive(Debug, Default, Clone, Copy)]
struct Earlier {
    asked: bool,
    reassigned: bool,
}

/// What is wrong with one step of a playbook, if anything.
fn step_problem(step: &StepSpec, earlier: Earlier) -> Option<String> {
    let kind = step.kind;
    if kind == Stage::Create {
        return Some("creation is implicit; do not list it".into());
    }
    let needs_text = matches!(
        kind,
        Stage::AgentReply
            | Stage::CustomerReply
            | Stage::Resolve
            | Stage::PrivateNote
            | Stage::TimeEntry
    );
    match step.text {
        None if needs_text => return Some("needs a \"text\"".into()),
        Some(role) if !role.fits(kind) => {
            return Some(format!("text {role:?} does not fit this kind"));
        }
        Some(Role::Answer) if !earlier.asked => {
            return Some("an answer needs an earlier question".into());
        }
        Some(Role::HandoverResolution) if !earlier.reassigned => {
            return Some("a handover needs an earlier reassign step".into());
        }
        _ => {}
    }
    fields_problem(step)
}

/// Each kind's own fields: present where needed, absent elsewhere, in range.
fn fields_problem(step: &StepSpec) -> Option<String> {
    let kind = step.kind;
    let valid_status = |s: i64| (2..=5).contains(&s);
    let status_ok = match kind {
        Stage::Status => step.status.is_some_and(valid_status),
        Stage::AgentReply | Stage::CustomerReply => step.status.is_none_or(valid_status),
        _ => step.status.is_none(),
    };
    let raise_ok = match kind {
        Stage::Priority => step.raise.is_some_and(|r| (1..=3).contains(&r)),
        _ => step.raise.is_none(),
    };
    let add_ok = match kind {
        Stage::Tags => !step.add.is_empty() && step.add.iter().all(|t| is_valid_tag(t)),
        _ => step.add.is_empty(),
    };
    let minutes_ok = match kind {
        Stage::TimeEntry => step
            .minutes
            .is_some_and(|[lo, hi]| 1 <= lo && lo <= hi && hi <= 600),
        _ => step.minutes.is_none(),
    };
    let billable_ok = step.billable.is_none() || kind == Stage::TimeEntry;
    if !status_ok {
        Some("\"status\" (2..=5) is needed by status steps and allowed on replies only".into())
    } else if !raise_ok {
        Some("\"raise\" (1..=3) is needed by priority steps and allowed nowhere else".into())
    } else if !add_ok {
        Some("\"add\" (valid tags) is needed by tags steps and allowed nowhere else".into())
    } else if !minutes_ok {
        Some("\"minutes\" [low, high] within 1..=600 is needed by time entries only".into())
    } else if !billable_ok {
        Some("\"billable\" is allowed on time entries only".into())
    } else {
        None
    }
}
