//! Planning a lifecycle: who, which scenario and playbook, and the exact text of
//! every message, fixed before the first request. Pure (no I/O): `run` plans with
//! the helpdesk's real people, `preview` with made-up ones, through this same code.

use std::sync::Arc;

use crate::content::{self, Author, Cast, Dice, Library, Script, Selection};
use crate::domain::{Stage, StageOffsets};
use crate::freshdesk::types::{Agent, Contact, Group};
use crate::store::{Plan, PlannedMessage, PlannedStep};

/// What lifecycles are written from. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Content {
    pub library: Arc<Library>,
    /// The playbooks in use (`TICKETSIM_PLAYBOOKS`).
    pub playbooks: Selection,
    /// `TICKETSIM_STAGE_OFFSETS`: when the steps happen.
    pub offsets: StageOffsets,
    /// Tag put on every ticket (first in its list).
    pub tag: String,
}

impl Default for Content {
    /// The built-in library, the classic playbook, the documented offsets.
    fn default() -> Self {
        Content {
            library: Library::embedded(),
            playbooks: Selection::default(),
            offsets: StageOffsets::DEFAULT,
            tag: crate::config::DEFAULT_TAG.to_string(),
        }
    }
}

/// The helpdesk's people, fetched once and reused for a while.
#[derive(Debug, Default)]
pub struct People {
    pub contacts: Vec<Contact>,
    pub agents: Vec<Agent>,
    pub groups: Vec<Group>,
}

impl People {
    /// Sorted by id so that a seed picks the same people whatever the list order.
    pub fn new(mut contacts: Vec<Contact>, agents: Vec<Agent>, mut groups: Vec<Group>) -> People {
        contacts.retain(|c| c.deleted != Some(true));
        contacts.sort_by_key(|c| c.id);
        let mut active: Vec<Agent> = agents
            .iter()
            .filter(|a| a.contact.active)
            .cloned()
            .collect();
        if active.is_empty() {
            active = agents;
        }
        active.sort_by_key(|a| a.id);
        groups.sort_by_key(|g| g.id);
        People {
            contacts,
            agents: active,
            groups,
        }
    }
}

/// A lifecycle, planned: the plan row, its steps (creation first) and the script
/// they were made from (for `preview`).
#[derive(Debug, Clone)]
pub struct Planned {
    pub plan: Plan,
    pub steps: Vec<PlannedStep>,
    pub script: Script,
}

/// Why a lifecycle cannot be planned: the helpdesk lacks people. Says what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PlanError(pub String);

/// The people an escalation goes to: an agent other than the assignee when
/// there is one, and a group.
struct Escalation<'a> {
    agent: &'a Agent,
    group: Option<&'a Group>,
}

/// Who takes part in one lifecycle.
struct Picks<'a> {
    contact: &'a Contact,
    agent: &'a Agent,
    escalation: Escalation<'a>,
}

/// The draws, in order: contact, agent, escalation agent, escalation group. The
/// agents are drawn among those whose first name differs from the customer's
/// (all of them when none does), so nobody writes "Hi Mei" signed "Mei".
fn pick_people<'a>(rng: &mut Dice, people: &'a People) -> Result<Picks<'a>, PlanError> {
    let contact = rng.pick(&people.contacts).ok_or_else(|| {
        PlanError("the helpdesk has no contacts to open tickets for: add some in Freshdesk (Contacts → New contact) or run `ticketsim seed-contacts` first".into())
    })?;
    let agents = other_first_name(&people.agents, &contact.name);
    let agent = *rng.pick(&agents).ok_or_else(|| {
        PlanError("the helpdesk has no agents to assign tickets to: add an agent in Freshdesk (Admin → Agents) first".into())
    })?;
    let others: Vec<&Agent> = agents.into_iter().filter(|a| a.id != agent.id).collect();
    let escalation = Escalation {
        agent: rng.pick(&others).copied().unwrap_or(agent),
        group: rng.pick(&people.groups),
    };
    Ok(Picks {
        contact,
        agent,
        escalation,
    })
}

/// The content to plan with: the configured one, or with only the playbook
/// a spawned slot asked for (any playbook of the library, selected or not).
pub fn content_for(content: &Content, playbook: Option<&str>) -> Result<Content, PlanError> {
    let Some(name) = playbook else {
        return Ok(content.clone());
    };
    let known = content.library.playbook_names();
    let only = Selection::parse(name, &known).map_err(|e| {
        PlanError(format!(
            "`ticketsim spawn --playbook {name}`: this daemon's library has no such playbook ({e})"
        ))
    })?;
    Ok(Content {
        playbooks: only,
        ..content.clone()
    })
}

/// The agents whose first name is not the customer's, or every agent when
/// all share it.
fn other_first_name<'a>(agents: &'a [Agent], customer: &str) -> Vec<&'a Agent> {
    let first = |name: &str| name.split_whitespace().next().map(str::to_lowercase);
    let customer = first(customer);
    let others: Vec<&Agent> = agents
        .iter()
        .filter(|a| customer.is_none() || first(&a.contact.name) != customer)
        .collect();
    match others.is_empty() {
        true => agents.iter().collect(),
        false => others,
    }
}

/// Plans the lifecycle whose seed is `seed`: the people first, then the
/// content's own draws. Every draw comes from [`Dice`], whose algorithm is
/// fixed in this crate (not `StdRng`, which `rand` may change in any release),
/// so a seed plans the same lifecycle on every build.
pub fn plan_lifecycle(seed: u64, people: &People, content: &Content) -> Result<Planned, PlanError> {
    let mut rng = Dice::new(seed);
    let picks = pick_people(&mut rng, people)?;
    let (contact, agent, escalation) = (picks.contact, picks.agent, &picks.escalation);
    let cast = Cast {
        customer: &contact.name,
        customer_key: contact.id as u64,
        agent: &agent.contact.name,
        agent_key: agent.id as u64,
        escalation_agent: &escalation.agent.contact.name,
        escalation_agent_key: escalation.agent.id as u64,
        escalation_group: escalation.group.map_or("second-line support", |g| &g.name),
    };
    let script = content::compose(
        &mut rng,
        &content.library,
        &content.playbooks,
        &content.offsets,
        &cast,
    );
    let author_id = |author: Author| match author {
        Author::Customer => contact.id,
        Author::Agent => agent.id,
        Author::EscalationAgent => escalation.agent.id,
    };
    let steps = script
        .steps
        .iter()
        .map(|s| planned_step(s, &author_id, escalation, &content.tag))
        .collect();
    Ok(Planned {
        plan: plan_row(&picks, &script, &content.tag),
        steps,
        script,
    })
}

/// The lifecycle row's plan.
fn plan_row(picks: &Picks, script: &Script, tag: &str) -> Plan {
    // A trainee ticket belongs to whichever trainee answers it.
    let trainee = script.playbook == content::TRAINEE;
    Plan {
        contact_id: picks.contact.id,
        contact_name: picks.contact.name.clone(),
        contact_email: picks.contact.email.clone(),
        agent_id: if trainee { 0 } else { picks.agent.id },
        agent_name: if trainee {
            "the trainees".into()
        } else {
            picks.agent.contact.name.clone()
        },
        category: script.category.clone(),
        scenario: script.scenario.clone(),
        subject: script.subject.clone(),
        ticket_type: script.ticket_type.clone(),
        priority: script.priority,
        tags: with_tag(tag, &script.tags),
        playbook: script.playbook.clone(),
        tone: script.tone.clone(),
        training: (script.training.as_ref()).and_then(|t| serde_json::to_string(t).ok()),
    }
}

/// A script step with the ids only the helpdesk knows filled in.
fn planned_step(
    s: &content::ScriptStep,
    author_id: &dyn Fn(Author) -> i64,
    escalation: &Escalation,
    tag: &str,
) -> PlannedStep {
    let mut params = s.params.clone();
    match s.kind {
        Stage::Reassign => {
            params.responder_id = Some(escalation.agent.id);
            params.group_id = escalation.group.map(|g| g.id);
        }
        Stage::TimeEntry => params.agent_id = s.author.map(author_id),
        _ => {}
    }
    params.tags = params.tags.map(|tags| with_tag(tag, &tags));
    let message = match (s.author, &s.body) {
        (Some(author), Some(body)) => Some(PlannedMessage {
            author_kind: author.kind().to_string(),
            author_id: author_id(author),
            body: body.clone(),
            private: s.private,
        }),
        _ => None,
    };
    PlannedStep {
        kind: s.kind,
        params,
        offset_ms: s.offset_ms,
        message,
    }
}

/// The configured tag first, then the content's tags without it.
fn with_tag(tag: &str, tags: &[String]) -> Vec<String> {
    let mut out = vec![tag.to_string()];
    out.extend(tags.iter().filter(|t| *t != tag).cloned());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn people(contacts: &[(i64, &str)], agents: &[(i64, &str)]) -> People {
        let contacts = contacts
            .iter()
            .map(|(id, name)| serde_json::from_value(serde_json::json!({"id": id, "name": name})))
            .collect::<Result<Vec<Contact>, _>>()
            .unwrap();
        let agents = agents
            .iter()
            .map(|(id, name)| {
                let contact = serde_json::json!({"name": name, "active": true});
                serde_json::from_value(serde_json::json!({"id": id, "contact": contact}))
            })
            .collect::<Result<Vec<Agent>, _>>()
            .unwrap();
        People::new(contacts, agents, vec![])
    }

    #[test]
    fn no_agent_shares_the_customers_first_name_while_another_agent_exists() {
        let p = people(
            &[(1, "Mei Okafor"), (2, "Omar Haddad")],
            &[(10, "Mei Lind"), (11, "Omar Berg"), (12, "Rosa Diaz")],
        );
        let content = Content::default();
        for seed in 0..200 {
            let planned = plan_lifecycle(seed, &p, &content).unwrap();
            let customer = planned.plan.contact_name.split(' ').next().unwrap();
            let agent = planned.plan.agent_name.split(' ').next().unwrap();
            assert_ne!(customer, agent, "seed {seed}");
        }
        let alone = people(&[(1, "Mei Okafor")], &[(10, "Mei Lind")]);
        assert_eq!(
            plan_lifecycle(1, &alone, &content).unwrap().plan.agent_id,
            10
        );
    }

    #[test]
    fn a_seed_picks_the_same_people_on_every_build() {
        // Pinned: the draws come from Dice (SplitMix64), whose output is fixed
        // in this crate; a `rand` upgrade cannot change them.
        let contacts: Vec<(i64, String)> = (1..=9).map(|i| (i, format!("C{i} X"))).collect();
        let agents: Vec<(i64, String)> = (1..=5).map(|i| (100 + i, format!("A{i} Y"))).collect();
        let c: Vec<(i64, &str)> = contacts.iter().map(|(i, n)| (*i, n.as_str())).collect();
        let a: Vec<(i64, &str)> = agents.iter().map(|(i, n)| (*i, n.as_str())).collect();
        let p = people(&c, &a);
        let picks: Vec<(i64, i64)> = (0..4)
            .map(|seed| {
                let plan = plan_lifecycle(seed, &p, &Content::default()).unwrap().plan;
                (plan.contact_id, plan.agent_id)
            })
            .collect();
        assert_eq!(picks, PINNED_PICKS);
    }

    const PINNED_PICKS: [(i64, i64); 4] = [(8, 103), (6, 104), (6, 104), (2, 104)];
}
