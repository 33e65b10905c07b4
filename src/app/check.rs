//! `ticketsim check`: the integration's "test connection". It asks, in order,
//! what would stop the daemon: the URL and key (`GET /agents/me`), the plan's
//! rate limit (from the headers), the people (agents, contacts, groups), ticket
//! fields required for closure, the custom-field mapping, whether the key may
//! act as the customer (a probe that removes what it made), and whether the
//! schedule fits the budget. When the URL or key fails, nothing else is asked.

mod hosts;
mod probe;
mod report;
mod schedule;

pub use probe::{PROBE_EMAIL, PROBE_TAG, Probe};
pub use report::{CheckReport, Item, Status};
pub use schedule::{CALLS_PER_STEP, ScheduleNeed, estimate};

use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::freshdesk::{Agent, Client, Error, TicketFields};
use report::{AgentInfo, Counts, FieldInfo, RateInfo, ScheduleInfo};

/// The trial plan's account-wide limit.
const TRIAL_PER_MIN: u32 = 50;

/// What `check` may do.
#[derive(Debug, Clone, Copy)]
pub struct CheckOptions {
    /// Post a note as a throwaway contact to learn whether the key may act as the
    /// customer (everything it makes is removed).
    pub probe: bool,
    /// Told each item as soon as it is decided.
    pub live: Option<fn(&Item)>,
}

/// Runs every check against the configured helpdesk.
pub async fn check(cfg: &Config, opts: CheckOptions) -> CheckReport {
    let mut r = CheckReport::new(&cfg.freshdesk_url);
    r.live = report::Live(opts.live);
    let mut cc = cfg.client_config();
    cc.max_attempts = 2;
    let client = match Client::new(cc) {
        Ok(c) => c,
        Err(e) => {
            r.push("configuration", Status::Fail, e.to_string());
            r.finish();
            return r;
        }
    };
    match client.me().await {
        Ok(me) => connected(&mut r, &me),
        Err(e) => {
            r.push(
                "URL and API key",
                Status::Fail,
                connection_problem(&cfg.freshdesk_url, e),
            );
            r.finish();
            return r;
        }
    }
    hosts::allowed_hosts(&mut r, cfg);
    rate_limit(&mut r, &client, cfg);
    let pages = people(&mut r, &client).await;
    ticket_fields(&mut r, &client, cfg).await;
    acting_as_customer(&mut r, &client, cfg, opts).await;
    schedule(&mut r, &client, cfg, pages);
    r.finish();
    r
}

fn connected(r: &mut CheckReport, me: &Agent) {
    let email = me.contact.email.clone();
    let shown = email
        .as_deref()
        .map(|e| format!(" <{e}>"))
        .unwrap_or_default();
    r.push(
        "URL and API key",
        Status::Ok,
        format!(
            "the key belongs to agent {}{shown} (id {})",
            me.contact.name, me.id
        ),
    );
    r.agent = Some(AgentInfo {
        id: me.id,
        name: me.contact.name.clone(),
        email,
    });
}

/// The one-line reason `/agents/me` failed, naming what to fix.
pub(crate) fn connection_problem(url: &str, e: Error) -> String {
    match e {
        Error::Auth { .. } | Error::Forbidden { .. } => e.to_string(),
        Error::Connect(_) | Error::Timeout | Error::Transport(_) => {
            format!("FRESHDESK_URL {url}: {e}")
        }
        Error::NotFound { .. } | Error::Decode(_) | Error::Http { .. } => format!(
            "FRESHDESK_URL {url} does not look like a Freshdesk helpdesk: GET /api/v2/agents/me \
             answered {e}; use the account's https://<name>.freshdesk.com address"
        ),
        other => other.to_string(),
    }
}

fn rate_limit(r: &mut CheckReport, client: &Client, cfg: &Config) {
    let headers = client.last_rate_headers();
    let budget = client.budget_per_min();
    r.rate_limit = Some(RateInfo {
        plan_per_min: headers.map(|h| h.0),
        remaining: headers.map(|h| h.1),
        configured_per_min: cfg.rate_per_min,
        budget_per_min: budget,
    });
    let Some((total, remaining)) = headers else {
        let detail = format!(
            "no X-RateLimit headers in the answer, so the plan's limit is unknown; the budget \
             stays at TICKETSIM_RATE_PER_MIN={}/min",
            cfg.rate_per_min
        );
        r.push("rate limit", Status::Warn, detail);
        return;
    };
    let detail = format!(
        "the plan allows {total} requests/min account-wide ({remaining} left in this window); \
         ticketsim's budget is {budget}/min"
    );
    r.push("rate limit", Status::Ok, detail);
    if cfg.rate_per_min > total {
        let detail = format!(
            "TICKETSIM_RATE_PER_MIN={} is above the plan's {total}/min; the budget uses {total}/min",
            cfg.rate_per_min
        );
        r.push("budget", Status::Warn, detail);
    }
    if total <= TRIAL_PER_MIN {
        let detail = format!(
            "{total} requests/min is a trial plan's limit, shared with every other integration \
             of the account; keep TICKETSIM_RATE_PER_MIN below it (40 leaves room)"
        );
        r.push("trial plan", Status::Warn, detail);
    }
}

/// Counts the people; returns the pages a reload of contacts and agents costs.
async fn people(r: &mut CheckReport, client: &Client) -> u32 {
    let (agents, contacts, groups) = (
        client.list_agents().await,
        client.list_contacts().await,
        client.list_groups().await,
    );
    let (agents, contacts, groups) = match (agents, contacts, groups) {
        (Ok(a), Ok(c), Ok(g)) => (a, c, g),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => {
            r.push(
                "people",
                Status::Fail,
                format!("cannot list agents, contacts and groups: {e}"),
            );
            return 2;
        }
    };
    let counts = Counts {
        agents: agents.len(),
        active_agents: agents.iter().filter(|a| a.contact.active).count(),
        contacts: contacts.len(),
        groups: groups.len(),
    };
    people_verdict(r, &counts);
    r.people = Some(counts);
    (contacts.len().div_ceil(100) + agents.len().div_ceil(100)).max(2) as u32
}

/// The daemon needs an agent to assign and a contact to open tickets for.
fn people_verdict(r: &mut CheckReport, counts: &Counts) {
    let detail = format!(
        "{} agents ({} active), {} contacts, {} groups",
        counts.agents, counts.active_agents, counts.contacts, counts.groups
    );
    match (counts.agents, counts.contacts) {
        (0, _) => r.push(
            "people",
            Status::Fail,
            format!("{detail}: tickets need an agent to assign"),
        ),
        (_, 0) => r.push(
            "people",
            Status::Fail,
            format!(
                "{detail}: tickets need a contact to come from; add a few (example.com addresses)"
            ),
        ),
        _ => r.push("people", Status::Ok, detail),
    }
}

async fn ticket_fields(r: &mut CheckReport, client: &Client, cfg: &Config) {
    let fields = match client.list_ticket_fields().await {
        Ok(f) => f,
        Err(e) => {
            r.push(
                "ticket fields",
                Status::Warn,
                format!("cannot read the ticket fields: {e}"),
            );
            return;
        }
    };
    let blockers = fields.blocking_closure();
    r.closure_blockers = blockers
        .iter()
        .map(|f| FieldInfo {
            name: f.name.clone(),
            label: f.label.clone(),
        })
        .collect();
    if blockers.is_empty() {
        r.push(
            "required for closure",
            Status::Ok,
            "no field ticketsim leaves empty is required to resolve or close",
        );
    } else {
        let names: Vec<String> = blockers
            .iter()
            .map(|f| format!("{} ({})", f.name, f.label.as_deref().unwrap_or("no label")))
            .collect();
        let detail = format!(
            "ticket fields required for closure: {}; the resolve step (status 4) would fail with \
             missing_field. Untick \"required when closing\" for them in Admin → Ticket Fields",
            names.join(", ")
        );
        r.push("required for closure", Status::Fail, detail);
    }
    custom_field_mapping(r, &fields, cfg);
}

fn custom_field_mapping(r: &mut CheckReport, fields: &TicketFields, cfg: &Config) {
    let map = &cfg.client.custom_fields;
    if !map.is_empty() {
        match map.validate(fields) {
            Ok(()) => r.push(
                "custom fields",
                Status::Ok,
                format!("{} mapped custom fields exist", map.entries().len()),
            ),
            Err(Error::Invalid(why)) => r.push(
                "custom fields",
                Status::Fail,
                format!("TICKETSIM_CUSTOM_FIELDS: {why}"),
            ),
            Err(e) => r.push(
                "custom fields",
                Status::Fail,
                format!("TICKETSIM_CUSTOM_FIELDS: {e}"),
            ),
        }
    }
}

async fn acting_as_customer(
    r: &mut CheckReport,
    client: &Client,
    cfg: &Config,
    opts: CheckOptions,
) {
    const NAME: &str = "acting as the customer";
    if !opts.probe {
        let detail = "not checked (--no-probe); the customer-reply step needs an admin key with \
                      'manage users' on a plan with the assume-identity feature";
        r.push(NAME, Status::Warn, detail);
        return;
    }
    let probe = probe::acting_as_customer(client, &cfg.tag).await;
    let status = match probe.allowed {
        Some(true) => Status::Ok,
        Some(false) => Status::Fail,
        None => Status::Warn,
    };
    r.push(NAME, status, probe.detail.clone());
    if !probe.leftovers.is_empty() {
        let detail = format!("the probe could not remove: {}", probe.leftovers.join(", "));
        r.push("probe cleanup", Status::Warn, detail);
    }
    r.acting_as_customer = Some(probe);
}

fn schedule(r: &mut CheckReport, client: &Client, cfg: &Config, people_pages: u32) {
    const NAME: &str = "schedule";
    let per_min = client.budget_per_min();
    let fit = match schedule_fit(cfg, per_min, people_pages, SystemClock.now_ms()) {
        Ok(fit) => fit,
        Err(e) => return r.push(NAME, Status::Fail, e),
    };
    r.push(NAME, fit.status, fit.detail);
    if let Some(burst) = fit.burst {
        r.push("bursts", Status::Warn, burst);
    }
    r.schedule = Some(ScheduleInfo {
        cron: cfg.create_cron.clone(),
        need: fit.need,
        budget_per_hour: per_min.saturating_mul(60),
    });
}

/// Whether the configured schedule fits a budget of `per_min` requests/min.
pub struct ScheduleFit {
    pub status: Status,
    pub detail: String,
    /// A warning when the busiest minute needs more than the budget's minute.
    pub burst: Option<String>,
    pub need: ScheduleNeed,
}

/// The schedule-vs-budget verdict `check` reports and `run` logs at start-up.
pub fn schedule_fit(
    cfg: &Config,
    per_min: u32,
    people_pages: u32,
    now: crate::clock::UnixMs,
) -> Result<ScheduleFit, String> {
    let need = estimate(&cfg.create_cron, cfg.stage_offsets, now, people_pages)
        .map_err(|e| format!("TICKETSIM_CREATE_CRON: {e}"))?;
    let per_hour = per_min.saturating_mul(60);
    let share = f64::from(need.peak_hour_calls) / f64::from(per_hour.max(1));
    let detail = format!(
        "TICKETSIM_CREATE_CRON \"{}\" starts {} tickets a day, {} calls each; the busiest hour \
         needs {} calls of the {per_hour} the budget allows ({:.1}%)",
        cfg.create_cron,
        need.tickets_per_day,
        need.calls_per_lifecycle,
        need.peak_hour_calls,
        share * 100.0
    );
    let status = share_status(share);
    let burst = (need.peak_minute_calls > per_min && status != Status::Fail).then(|| {
        format!(
            "{} calls fall in the busiest minute, above the budget's {per_min}/min; those steps run \
             a little late, in-flight tickets first",
            need.peak_minute_calls
        )
    });
    Ok(ScheduleFit {
        status,
        detail: detail + share_remedy(status),
        burst,
        need,
    })
}

/// Over the budget the backlog grows without end; above 80% retries and other
/// integrations of the account have little room.
fn share_status(share: f64) -> Status {
    match share {
        s if s > 1.0 => Status::Fail,
        s if s > 0.8 => Status::Warn,
        _ => Status::Ok,
    }
}

fn share_remedy(status: Status) -> &'static str {
    match status {
        Status::Fail => ": steps would fall further and further behind; start tickets less often",
        Status::Warn => ": little room left for retries and other integrations",
        Status::Ok => "",
    }
}
