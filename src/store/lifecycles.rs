//! A lifecycle's plan and the intent and outcome of creating its ticket.

use rusqlite::OptionalExtension;

use super::sync_read::text_enum;
use super::{Result, Store, StoreError};
use crate::clock::UnixMs;
use crate::domain::{LifecycleState, Stage, StepParams};

/// The playbook of lifecycles planned before playbooks existed.
const CLASSIC: &str = "classic";

/// One lifecycle row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lifecycle {
    pub id: i64,
    pub state: LifecycleState,
    pub seed: u64,
    pub created_at: UnixMs,
    /// `None` until the create step has picked the people and the text.
    pub plan: Option<Plan>,
    pub create_intent_at: Option<UnixMs>,
    pub ticket_id: Option<i64>,
    pub ticket_created_at: Option<UnixMs>,
    pub last_error: Option<String>,
}

/// Who, and what about: fixed before the first request for the lifecycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub contact_id: i64,
    pub contact_name: String,
    pub contact_email: Option<String>,
    pub agent_id: i64,
    pub agent_name: String,
    pub category: String,
    pub scenario: String,
    pub subject: String,
    pub ticket_type: String,
    pub priority: i64,
    pub tags: Vec<String>,
    /// The playbook whose steps the lifecycle follows, e.g. `classic`.
    pub playbook: String,
    /// The customer's tone, e.g. `polite`.
    pub tone: String,
    /// The `trainee` playbook's sheet (JSON of `content::Sheet`).
    pub training: Option<String>,
}

/// A message to be sent, as stored with the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedMessage {
    /// `customer` or `agent`.
    pub author_kind: String,
    /// The contact's or the agent's Freshdesk id: who the message is posted as.
    pub author_id: i64,
    /// HTML.
    pub body: String,
    /// A private note (agents only).
    pub private: bool,
}

/// One step of the plan, in order; the first is the creation itself (whose
/// message is the ticket's description).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedStep {
    pub kind: Stage,
    pub params: StepParams,
    /// From ticket creation (the slot time).
    pub offset_ms: i64,
    pub message: Option<PlannedMessage>,
}

pub(super) const LIFECYCLE_COLS: &str =
    "id, state, seed, created_at, contact_id, contact_name, contact_email,
    agent_id, agent_name, category, scenario, subject, ticket_type, priority, tags,
    playbook, tone, training, create_intent_at, ticket_id, ticket_created_at, last_error";

/// Decodes a row of [`LIFECYCLE_COLS`], by position (in that order).
pub(super) fn lifecycle_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Lifecycle> {
    let text = |i: usize| -> rusqlite::Result<String> {
        Ok(r.get::<_, Option<String>>(i)?.unwrap_or_default())
    };
    let plan = match r.get::<_, Option<i64>>(4)? {
        None => None,
        Some(contact_id) => Some(Plan {
            contact_id,
            contact_name: text(5)?,
            contact_email: r.get(6)?,
            agent_id: r.get::<_, Option<i64>>(7)?.unwrap_or_default(),
            agent_name: text(8)?,
            category: text(9)?,
            scenario: text(10)?,
            subject: text(11)?,
            ticket_type: text(12)?,
            priority: r.get::<_, Option<i64>>(13)?.unwrap_or(1),
            tags: serde_json::from_str(&text(14)?).unwrap_or_default(),
            playbook: r
                .get::<_, Option<String>>(15)?
                .unwrap_or_else(|| CLASSIC.to_string()),
            tone: text(16)?,
            training: r.get(17)?,
        }),
    };
    Ok(Lifecycle {
        id: r.get(0)?,
        state: text_enum(r, 1)?,
        seed: r.get::<_, i64>(2)? as u64,
        created_at: r.get(3)?,
        plan,
        create_intent_at: r.get(18)?,
        ticket_id: r.get(19)?,
        ticket_created_at: r.get(20)?,
        last_error: r.get(21)?,
    })
}

impl Store {
    pub async fn lifecycle(&self, id: i64) -> Result<Lifecycle> {
        let sql = format!("SELECT {LIFECYCLE_COLS} FROM lifecycles WHERE id = ?1");
        let found = self.read_sync(|c| {
            c.prepare_cached(&sql)?
                .query_row([id], lifecycle_from_row)
                .optional()
        })?;
        found.ok_or_else(|| StoreError::Data(format!("no lifecycle {id}")))
    }

    /// Finds a lifecycle by its id, or else by its Freshdesk ticket id.
    pub async fn find_lifecycle(&self, id_or_ticket: i64) -> Result<Option<Lifecycle>> {
        let sql = format!(
            "SELECT {LIFECYCLE_COLS} FROM lifecycles WHERE id = ?1
             UNION ALL SELECT {LIFECYCLE_COLS} FROM lifecycles WHERE ticket_id = ?1 LIMIT 1"
        );
        self.read_sync(|c| {
            c.prepare_cached(&sql)?
                .query_row([id_or_ticket], lifecycle_from_row)
                .optional()
        })
    }

    /// Stores the plan, the steps after creation and every message the lifecycle
    /// will send, in one transaction, before any request is made for it. `steps[0]`
    /// is the creation step (already a row); later steps are due at the slot time
    /// plus their offset. Returns false, changing nothing, if a plan was already saved.
    pub async fn save_plan(
        &self,
        lifecycle_id: i64,
        plan: &Plan,
        steps: &[PlannedStep],
        now: UnixMs,
    ) -> Result<bool> {
        self.write_sync(|c| write_plan(c, lifecycle_id, plan, steps, now, None))
            .await
    }

    /// True when some lifecycle already owns this Freshdesk ticket.
    pub async fn ticket_is_known(&self, ticket_id: i64) -> Result<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM lifecycles WHERE ticket_id = ?1")
            .bind(ticket_id)
            .fetch_one(&self.reads)
            .await?;
        Ok(n > 0)
    }
}

/// [`Store::save_plan`] inside a transaction (also a [`super::StepWrite::Plan`]);
/// `create_intent_at`, when given, is recorded with the plan.
pub(super) fn write_plan(
    c: &rusqlite::Connection,
    lifecycle_id: i64,
    plan: &Plan,
    steps: &[PlannedStep],
    now: UnixMs,
    create_intent_at: Option<UnixMs>,
) -> rusqlite::Result<bool> {
    let Some(start) = update_plan(c, lifecycle_id, plan, now, create_intent_at)? else {
        return Ok(false);
    };
    for (seq, step) in steps.iter().enumerate() {
        if seq > 0 {
            insert_step(c, lifecycle_id, seq as i64, step, start)?;
        }
        if let Some(m) = &step.message {
            insert_message(c, lifecycle_id, seq as i64, step.kind, m)?;
        }
    }
    Ok(true)
}

/// Writes the plan into a lifecycle that has none yet; returns the lifecycle's
/// slot time, or `None` if it already had a plan. An unplanned lifecycle has
/// no create intent, so `create_intent_at` (or NULL) replaces nothing.
fn update_plan(
    c: &rusqlite::Connection,
    lifecycle_id: i64,
    plan: &Plan,
    now: UnixMs,
    create_intent_at: Option<UnixMs>,
) -> rusqlite::Result<Option<UnixMs>> {
    let tags = serde_json::to_string(&plan.tags).unwrap_or_else(|_| "[]".into());
    c.prepare_cached(
        "UPDATE lifecycles SET contact_id = ?2, contact_name = ?3, contact_email = ?4,
         agent_id = ?5, agent_name = ?6, category = ?7, scenario = ?8, subject = ?9,
         ticket_type = ?10, priority = ?11, tags = ?12, playbook = ?13, tone = ?14,
         updated_at = ?15, training = ?16, create_intent_at = ?17
         WHERE id = ?1 AND contact_id IS NULL RETURNING created_at",
    )?
    .query_row(
        rusqlite::params![
            lifecycle_id,
            plan.contact_id,
            plan.contact_name,
            plan.contact_email,
            plan.agent_id,
            plan.agent_name,
            plan.category,
            plan.scenario,
            plan.subject,
            plan.ticket_type,
            plan.priority,
            tags,
            plan.playbook,
            plan.tone,
            now,
            plan.training,
            create_intent_at,
        ],
        |r| r.get(0),
    )
    .optional()
}

pub(super) fn insert_step(
    c: &rusqlite::Connection,
    lifecycle_id: i64,
    seq: i64,
    step: &PlannedStep,
    start: UnixMs,
) -> rusqlite::Result<()> {
    let params = (!step.params.is_empty())
        .then(|| serde_json::to_string(&step.params))
        .transpose()
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    c.prepare_cached(
        "INSERT INTO steps (lifecycle_id, seq, stage, params, offset_ms, due_at, state)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending')",
    )?
    .execute(rusqlite::params![
        lifecycle_id,
        seq,
        step.kind.as_str(),
        params,
        step.offset_ms,
        start + step.offset_ms
    ])?;
    Ok(())
}

pub(super) fn insert_message(
    c: &rusqlite::Connection,
    lifecycle_id: i64,
    seq: i64,
    kind: Stage,
    m: &PlannedMessage,
) -> rusqlite::Result<()> {
    c.prepare_cached(
        "INSERT INTO messages (lifecycle_id, step_seq, stage, author_kind, author_id, body, private)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(rusqlite::params![
        lifecycle_id,
        seq,
        kind.as_str(),
        m.author_kind,
        m.author_id,
        m.body,
        m.private
    ])?;
    Ok(())
}
