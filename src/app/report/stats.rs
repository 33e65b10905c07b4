//! Aggregates of the report: pure functions over what the store read.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::clock::format_iso;
use crate::store::{LifecycleFacts, StepCount, StepTiming};

/// Count, mean and nearest-rank percentiles of durations in ms (`None` when empty).
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Timing {
    pub count: usize,
    pub avg_ms: Option<i64>,
    pub p50_ms: Option<i64>,
    pub p90_ms: Option<i64>,
    pub max_ms: Option<i64>,
}

impl Timing {
    pub fn of(mut v: Vec<i64>) -> Timing {
        v.sort_unstable();
        let n = v.len();
        // nearest rank: the smallest value with at least q of the values at or below it
        let rank = |q: f64| {
            v.get(((q * n as f64).ceil() as usize).clamp(1, n.max(1)) - 1)
                .copied()
        };
        Timing {
            count: n,
            avg_ms: (n > 0)
                .then(|| (v.iter().map(|&x| x as i128).sum::<i128>() / n as i128) as i64),
            p50_ms: rank(0.5),
            p90_ms: rank(0.9),
            max_ms: v.last().copied(),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Totals {
    pub lifecycles: i64,
    /// Lifecycles whose ticket was created.
    pub tickets: i64,
    pub closed: i64,
    pub failed: i64,
    pub cancelled: i64,
    /// Neither closed, failed nor cancelled yet.
    pub in_progress: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AgentStats {
    pub agent_id: i64,
    pub name: String,
    /// Tickets assigned to the agent when created.
    pub tickets: i64,
    /// Public replies the agent posted (escalations count for the agent who wrote).
    pub replies: i64,
    /// Ticket created → first public agent reply, for the agent's tickets.
    pub first_reply: Timing,
    /// Ticket created → resolved (or closed), for the agent's tickets.
    pub resolution: Timing,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct GroupStats {
    /// The Freshdesk group tickets were escalated to; `null` for tickets never reassigned.
    pub group_id: Option<i64>,
    pub tickets: i64,
    pub resolved: i64,
    pub resolution: Timing,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DayStats {
    /// UTC date the lifecycle's slot was scheduled.
    pub day: String,
    pub lifecycles: i64,
    pub tickets: i64,
    pub failed: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ScenarioStats {
    pub category: String,
    pub scenario: String,
    pub lifecycles: i64,
    pub tickets: i64,
    pub closed: i64,
    pub failed: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct StepStats {
    pub kind: String,
    pub done: i64,
    pub failed: i64,
    pub cancelled: i64,
    /// Pending, waiting for a retry, or running.
    pub open: i64,
    pub attempts: i64,
    /// Steps that needed more than one attempt.
    pub retried: i64,
    /// Claim → commit of done steps: the request(s) plus rate-budget waits.
    pub duration: Timing,
    /// Due → claimed of done steps.
    pub lateness: Timing,
}

fn since_ticket(f: &LifecycleFacts, at: Option<i64>) -> Option<i64> {
    Some((at? - f.ticket_at?).max(0))
}

pub fn totals(facts: &[LifecycleFacts]) -> Totals {
    let mut t = Totals::default();
    for f in facts {
        t.lifecycles += 1;
        t.tickets += i64::from(f.ticket_at.is_some());
        match f.state.as_str() {
            "closed" => t.closed += 1,
            "failed" => t.failed += 1,
            "cancelled" => t.cancelled += 1,
            _ => t.in_progress += 1,
        }
    }
    t
}

/// Per agent, by id: tickets from the plan, replies from the messages.
pub fn agents(facts: &[LifecycleFacts], replies: &[(i64, i64)]) -> Vec<AgentStats> {
    let mut by_id: BTreeMap<i64, (String, i64, Vec<i64>, Vec<i64>)> = BTreeMap::new();
    for f in facts {
        let Some(id) = f.agent_id.filter(|_| f.ticket_at.is_some()) else {
            continue;
        };
        let e = by_id.entry(id).or_default();
        if let Some(name) = &f.agent_name {
            e.0.clone_from(name);
        }
        e.1 += 1;
        e.2.extend(since_ticket(f, f.first_reply_at));
        e.3.extend(since_ticket(f, f.resolved_at));
    }
    for (id, _) in replies {
        by_id.entry(*id).or_default();
    }
    by_id
        .into_iter()
        .map(|(agent_id, (name, tickets, first, resolved))| AgentStats {
            agent_id,
            name: if name.is_empty() {
                format!("agent {agent_id}")
            } else {
                name
            },
            tickets,
            replies: replies.iter().find(|r| r.0 == agent_id).map_or(0, |r| r.1),
            first_reply: Timing::of(first),
            resolution: Timing::of(resolved),
        })
        .collect()
}

/// Per escalation group (tickets never reassigned under `None`, first).
pub fn groups(facts: &[LifecycleFacts]) -> Vec<GroupStats> {
    let mut by: BTreeMap<Option<i64>, (i64, Vec<i64>)> = BTreeMap::new();
    for f in facts.iter().filter(|f| f.ticket_at.is_some()) {
        let e = by.entry(f.group_id).or_default();
        e.0 += 1;
        e.1.extend(since_ticket(f, f.resolved_at));
    }
    by.into_iter()
        .map(|(group_id, (tickets, resolved))| GroupStats {
            group_id,
            tickets,
            resolved: resolved.len() as i64,
            resolution: Timing::of(resolved),
        })
        .collect()
}

/// Volume per UTC day, oldest first.
pub fn days(facts: &[LifecycleFacts]) -> Vec<DayStats> {
    let mut by: BTreeMap<String, DayStats> = BTreeMap::new();
    for f in facts {
        let day = format_iso(f.created_at)[..10].to_string();
        let e = by.entry(day.clone()).or_insert(DayStats {
            day,
            lifecycles: 0,
            tickets: 0,
            failed: 0,
        });
        e.lifecycles += 1;
        e.tickets += i64::from(f.ticket_at.is_some());
        e.failed += i64::from(f.state == "failed");
    }
    by.into_values().collect()
}

/// Volume per category and scenario, the most frequent first (lifecycles not
/// planned yet have neither and are left out).
pub fn scenarios(facts: &[LifecycleFacts]) -> Vec<ScenarioStats> {
    let mut by: BTreeMap<(String, String), ScenarioStats> = BTreeMap::new();
    for f in facts {
        let (Some(category), Some(scenario)) = (&f.category, &f.scenario) else {
            continue;
        };
        let e = by
            .entry((category.clone(), scenario.clone()))
            .or_insert(ScenarioStats {
                category: category.clone(),
                scenario: scenario.clone(),
                lifecycles: 0,
                tickets: 0,
                closed: 0,
                failed: 0,
            });
        e.lifecycles += 1;
        e.tickets += i64::from(f.ticket_at.is_some());
        e.closed += i64::from(f.state == "closed");
        e.failed += i64::from(f.state == "failed");
    }
    let mut v: Vec<ScenarioStats> = by.into_values().collect();
    v.sort_by_key(|s| std::cmp::Reverse(s.lifecycles));
    v
}

/// Per step kind, in the order kinds first appear in `counts` (alphabetical).
pub fn steps(counts: &[StepCount], timings: &[StepTiming]) -> Vec<StepStats> {
    let mut by: BTreeMap<&str, StepStats> = BTreeMap::new();
    for c in counts {
        let e = by.entry(&c.kind).or_insert_with(|| StepStats {
            kind: c.kind.clone(),
            done: 0,
            failed: 0,
            cancelled: 0,
            open: 0,
            attempts: 0,
            retried: 0,
            duration: Timing::default(),
            lateness: Timing::default(),
        });
        match c.state.as_str() {
            "done" => e.done += c.steps,
            "failed" => e.failed += c.steps,
            "cancelled" => e.cancelled += c.steps,
            _ => e.open += c.steps,
        }
        e.attempts += c.attempts;
        e.retried += c.retried;
    }
    for (kind, e) in by.iter_mut() {
        let of = |f: fn(&StepTiming) -> i64| {
            Timing::of(timings.iter().filter(|t| t.kind == *kind).map(f).collect())
        };
        e.duration = of(|t| t.duration_ms);
        e.lateness = of(|t| t.lateness_ms);
    }
    by.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fact(agent: i64, state: &str, reply_after: Option<i64>) -> LifecycleFacts {
        LifecycleFacts {
            created_at: 0,
            state: state.into(),
            agent_id: Some(agent),
            agent_name: Some(format!("A{agent}")),
            category: Some("billing".into()),
            scenario: Some("refund".into()),
            ticket_at: Some(1_000),
            first_reply_at: reply_after.map(|d| 1_000 + d),
            resolved_at: None,
            group_id: None,
        }
    }

    #[test]
    fn percentiles_are_nearest_rank_and_empty_sets_have_none() {
        let t = Timing::of((1..=10).rev().collect());
        assert_eq!(
            (t.count, t.avg_ms, t.p50_ms, t.p90_ms, t.max_ms),
            (10, Some(5), Some(5), Some(9), Some(10))
        );
        assert_eq!(Timing::of(vec![]).p50_ms, None);
        assert_eq!(Timing::of(vec![7]).p90_ms, Some(7));
    }

    #[test]
    fn agents_get_their_tickets_times_and_replies_including_reply_only_agents() {
        let facts = [
            fact(1, "closed", Some(300)),
            fact(1, "failed", None),
            fact(2, "open", Some(100)),
        ];
        let a = agents(&facts, &[(1, 4), (3, 2)]);
        let ids: Vec<i64> = a.iter().map(|s| s.agent_id).collect();
        assert_eq!(ids, [1, 2, 3]);
        assert_eq!(
            (a[0].tickets, a[0].replies, a[0].first_reply.count),
            (2, 4, 1)
        );
        assert_eq!(a[0].first_reply.p50_ms, Some(300));
        assert_eq!(
            (a[2].name.as_str(), a[2].tickets, a[2].replies),
            ("agent 3", 0, 2)
        );
        let t = totals(&facts);
        assert_eq!(
            (t.lifecycles, t.closed, t.failed, t.in_progress),
            (3, 1, 1, 1)
        );
        assert_eq!(scenarios(&facts)[0].lifecycles, 3);
        assert_eq!(days(&facts)[0].day, "1970-01-01");
    }
}
