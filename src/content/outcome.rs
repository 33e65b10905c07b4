//! How a lifecycle ends for the customer (its outcome), and how long it lasts
//! and waits between steps, which the wording about time must respect.

use super::dice::Dice;
use super::library::Scenario;
use super::playbook::{self, Role};
use super::variants::Resolution;
use crate::domain::StageOffsets;

/// How the ticket ends, and the resolutions that say so: `granted` counts
/// twice against each of the scenario's other outcomes. A playbook with a
/// second fix after a reopen is always `granted`; one without a resolution
/// is `unresolved`.
pub(super) fn choose_outcome<'a>(
    rng: &mut Dice,
    scenario: &'a Scenario,
    playbook: &playbook::Playbook,
) -> (&'a str, &'a [Resolution]) {
    let has = |role: Role| playbook.steps.iter().any(|s| s.text == Some(role));
    if !has(Role::Resolution) && !has(Role::HandoverResolution) {
        return ("unresolved", &scenario.resolutions);
    }
    if has(Role::Followup) || scenario.outcomes.is_empty() {
        return (GRANTED, &scenario.resolutions);
    }
    let i = rng.below(scenario.outcomes.len() as u64 + 2) as usize;
    match scenario.outcomes.get(i) {
        Some(o) => (&o.name, &o.resolutions),
        None => (GRANTED, &scenario.resolutions),
    }
}

/// The outcome of a ticket whose customer gets what they asked for.
pub(super) const GRANTED: &str = "granted";

/// How long the ticket waits for the next step, in words that never promise
/// more than the real gap (`{wait}`): "a little longer", "for another day or two".
pub(super) fn wait_phrase(gap_ms: Option<i64>) -> &'static str {
    const HOUR: i64 = 3_600_000;
    match gap_ms {
        Some(g) if g >= 3 * 24 * HOUR => "for a few more days",
        Some(g) if g >= 24 * HOUR => "for another day or so",
        Some(g) if g >= 4 * HOUR => "for the rest of the day",
        _ => "a little longer",
    }
}

/// The lifecycle's length in whole minutes (at least 1): its last step's time.
pub(super) fn span_minutes(playbook: &playbook::Playbook, offsets: &StageOffsets) -> i64 {
    let last = playbook
        .steps
        .iter()
        .map(|s| offsets.at(s.at))
        .max()
        .unwrap_or(0);
    (last / 60_000).max(1)
}
