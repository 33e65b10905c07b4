//! The people an emulated account starts with, made from the seed: same seed,
//! same names, emails and ids. Emails use reserved domains only (agents
//! `@example.com`, contacts `@example.com` or `@example.test`), so nothing
//! generated here can ever reach a real mailbox.

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use serde_json::json;

use super::EmulatorConfig;
use crate::clock::{UnixMs, format_iso};
use crate::freshdesk::types::{Agent, AgentContact, Contact, Group, IntOrBool};

/// Every id except ticket display ids lives above 2^32, as in real accounts.
pub(crate) const ID_BASE: i64 = 67_000_000_000;

const DAY_MS: i64 = 86_400_000;

const FIRST: &[&str] = &[
    "Ada", "Amara", "Bruno", "Carmen", "Dmitri", "Elena", "Farah", "Gideon", "Hana", "Ibrahim",
    "Jonas", "Keiko", "Liam", "Maya", "Nikhil", "Olga", "Priya", "Quentin", "Rosa", "Samuel",
    "Tariq", "Uma", "Victor", "Wen", "Yara", "Zoe", "Mateo", "Ingrid", "Kofi", "Lucia",
];
const LAST: &[&str] = &[
    "Andersen",
    "Baptiste",
    "Castillo",
    "Delacroix",
    "Eriksen",
    "Fischer",
    "Gallagher",
    "Hoffman",
    "Iyer",
    "Jovanovic",
    "Kowalski",
    "Lindqvist",
    "Moreau",
    "Nakamura",
    "Okafor",
    "Petrov",
    "Quinn",
    "Rossi",
    "Santos",
    "Takahashi",
    "Novak",
    "Varga",
    "Whitfield",
    "Yilmaz",
    "Zhang",
];
const TIME_ZONES: &[&str] = &[
    "Eastern Time (US & Canada)",
    "Pacific Time (US & Canada)",
    "London",
    "Berlin",
    "Chennai",
    "Tokyo",
];
const JOB_TITLES: &[&str] = &[
    "Support Engineer",
    "Customer Success Lead",
    "Support Specialist",
];
const GROUPS: &[(&str, &str)] = &[
    (
        "Billing",
        "Members of the Billing team belong to this group",
    ),
    ("Technical Support", "Product questions and incidents"),
];

/// The seeded account.
pub(crate) struct Seeded {
    pub groups: Vec<Group>,
    pub agents: Vec<Agent>,
    pub contacts: Vec<Contact>,
    pub email_config_id: i64,
    /// The next free id.
    pub next_id: i64,
}

struct Gen {
    rng: StdRng,
    next_id: i64,
    used_names: Vec<String>,
    used_emails: Vec<String>,
    now: UnixMs,
}

impl Gen {
    fn id(&mut self) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// A whole-second time `min_days..max_days` before now.
    fn past(&mut self, min_days: i64, max_days: i64) -> UnixMs {
        let back = self.rng.random_range(min_days * DAY_MS..max_days * DAY_MS);
        (self.now - back).div_euclid(1000) * 1000
    }

    fn pick(&mut self, list: &[&'static str]) -> &'static str {
        list.choose(&mut self.rng).copied().unwrap_or("Alex")
    }

    /// A full name not used yet in this account.
    fn name(&mut self) -> (String, String, String) {
        for _ in 0..50 {
            let (first, last) = (self.pick(FIRST), self.pick(LAST));
            let full = format!("{first} {last}");
            if !self.used_names.contains(&full) {
                self.used_names.push(full.clone());
                return (full, first.to_lowercase(), last.to_lowercase());
            }
        }
        let n = self.used_names.len();
        let full = format!("Alex Reed {n}");
        self.used_names.push(full.clone());
        (full, "alex".to_owned(), format!("reed{n}"))
    }

    /// `first.last@domain`, with a number added if taken.
    fn email(&mut self, first: &str, last: &str, domain: &str) -> String {
        let mut email = format!("{first}.{last}@{domain}");
        let mut n = 2;
        while self.used_emails.contains(&email) {
            email = format!("{first}.{last}{n}@{domain}");
            n += 1;
        }
        self.used_emails.push(email.clone());
        email
    }
}

/// Builds the account for `cfg` as it looks at `now`.
pub(crate) fn seed(cfg: &EmulatorConfig, now: UnixMs) -> Seeded {
    let mut g = Gen {
        rng: StdRng::seed_from_u64(cfg.seed),
        next_id: ID_BASE + 1,
        used_names: Vec::new(),
        used_emails: Vec::new(),
        now,
    };
    let email_config_id = g.id();
    let mut groups: Vec<Group> = GROUPS.iter().map(|(n, d)| group(&mut g, n, d)).collect();
    let group_ids: Vec<i64> = groups.iter().map(|grp| grp.id).collect();
    let agents: Vec<Agent> = (0..cfg.agents.max(1))
        .map(|i| agent(&mut g, i, group_ids[i % group_ids.len()]))
        .collect();
    for grp in &mut groups {
        let members = agents.iter().filter(|a| a.group_ids == Some(vec![grp.id]));
        grp.agent_ids = Some(members.map(|a| a.id).collect());
    }
    let contacts = (0..cfg.contacts).map(|_| contact(&mut g)).collect();
    Seeded {
        groups,
        agents,
        contacts,
        email_config_id,
        next_id: g.next_id,
    }
}

fn group(g: &mut Gen, name: &str, description: &str) -> Group {
    let created = format_iso(g.past(300, 400));
    Group {
        id: g.id(),
        name: name.to_owned(),
        description: Some(description.to_owned()),
        escalate_to: None,
        unassigned_for: None,
        business_hour_id: None,
        group_type: Some("support_agent_group".to_owned()),
        auto_ticket_assign: Some(IntOrBool::Int(0)),
        agent_ids: None,
        created_at: Some(created.clone()),
        updated_at: Some(created),
    }
}

/// The first agent is the key's owner: an admin, active and available.
fn agent(g: &mut Gen, index: usize, group_id: i64) -> Agent {
    let (name, first, last) = g.name();
    let email = g.email(&first, &last, "example.com");
    let created = format_iso(g.past(200, 300));
    let last_login = format_iso(g.past(0, 3));
    let time_zone = g.pick(TIME_ZONES).to_owned();
    let job_title = g.pick(JOB_TITLES).to_owned();
    let contact = AgentContact {
        name,
        email: Some(email),
        active: true,
        job_title: Some(job_title),
        language: Some("en".to_owned()),
        last_login_at: Some(last_login.clone()),
        mobile: None,
        phone: None,
        time_zone: Some(time_zone),
        created_at: Some(created.clone()),
        updated_at: Some(created.clone()),
    };
    Agent {
        id: g.id(),
        available: index == 0 || g.rng.random_bool(0.7),
        occasional: false,
        ticket_scope: Some(1),
        signature: None,
        agent_type: Some("support_agent".to_owned()),
        last_active_at: Some(last_login),
        available_since: None,
        created_at: Some(created.clone()),
        updated_at: Some(created),
        contact,
        group_ids: Some(vec![group_id]),
    }
}

fn contact(g: &mut Gen) -> Contact {
    let (name, first, last) = g.name();
    let domain = if g.rng.random_bool(0.5) {
        "example.test"
    } else {
        "example.com"
    };
    let email = g.email(&first, &last, domain);
    let created = g.past(30, 400);
    let phone = g
        .rng
        .random_bool(0.4)
        .then(|| format!("+1-555-01{:02}", g.rng.random_range(0..100)));
    let time_zone = g.pick(TIME_ZONES).to_owned();
    new_contact_record(g.id(), name, Some(email), phone, created)
        .with_time_zone(time_zone)
        .verified(g.rng.random_bool(0.8))
}

/// A contact as Freshdesk stores a new one.
pub(crate) fn new_contact_record(
    id: i64,
    name: String,
    email: Option<String>,
    phone: Option<String>,
    now: UnixMs,
) -> Contact {
    let at = format_iso(now);
    Contact {
        id,
        name,
        email,
        active: false,
        address: None,
        description: None,
        job_title: None,
        language: Some("en".to_owned()),
        mobile: None,
        phone,
        time_zone: Some("Eastern Time (US & Canada)".to_owned()),
        twitter_id: None,
        facebook_id: None,
        company_id: None,
        unique_external_id: None,
        custom_fields: Some(json!({})),
        tags: Some(Vec::new()),
        other_emails: Some(Vec::new()),
        deleted: None,
        csat_rating: None,
        preferred_source: Some("email".to_owned()),
        created_at: Some(at.clone()),
        updated_at: Some(at),
    }
}

/// Small builders so seeding reads as a sentence.
trait ContactExt {
    fn with_time_zone(self, tz: String) -> Self;
    fn verified(self, active: bool) -> Self;
}

impl ContactExt for Contact {
    fn with_time_zone(mut self, tz: String) -> Self {
        self.time_zone = Some(tz);
        self
    }

    fn verified(mut self, active: bool) -> Self {
        self.active = active;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_people() {
        let cfg = EmulatorConfig::default();
        let a = seed(&cfg, 1_700_000_000_000);
        let b = seed(&cfg, 1_700_000_000_000);
        assert_eq!(a.agents, b.agents);
        assert_eq!(a.contacts, b.contacts);
        let other = seed(&EmulatorConfig { seed: 2, ..cfg }, 1_700_000_000_000);
        let names = |s: &Seeded| {
            s.contacts
                .iter()
                .map(|c| c.name.clone())
                .collect::<Vec<_>>()
        };
        assert_ne!(names(&a), names(&other));
    }

    #[test]
    fn seeded_emails_are_on_reserved_domains_and_ids_are_large() {
        let s = seed(&EmulatorConfig::default(), 1_700_000_000_000);
        assert_eq!(s.agents.len(), 3);
        assert_eq!(s.contacts.len(), 10);
        for a in &s.agents {
            assert!(
                a.contact
                    .email
                    .as_deref()
                    .unwrap()
                    .ends_with("@example.com")
            );
            assert!(a.id > 1 << 32);
        }
        for c in &s.contacts {
            let email = c.email.as_deref().unwrap();
            assert!(email.ends_with("@example.com") || email.ends_with("@example.test"));
            assert!(c.id > 1 << 32);
        }
    }
}
