//! Handling the inbox: each event leads to a look at the ticket's
//! conversations, and every public reply by a human agent not answered yet
//! gets one reaction. Chases and reopens are reactions without a reply.

use super::grade::Grade;
use super::react::{Progress, Reaction, react};
use super::{BATCH, Training, TrainingError};
use crate::clock::{UnixMs, parse_iso};
use crate::content::{self, Sheet};
use crate::domain::{Stage, StepParams};
use crate::freshdesk::Error as FdError;
use crate::freshdesk::types::Conversation;
use crate::store::{
    InboxRow, Lifecycle, PlannedMessage, PlannedStep, ReactionWrite, TrainingTicket,
};

/// Freshdesk statuses (api §6.3).
const OPEN: i64 = 2;
const RESOLVED: i64 = 4;
const CLOSED: i64 = 5;

/// A trainee ticket, read for one reaction.
struct Case {
    ticket: TrainingTicket,
    lifecycle: Lifecycle,
    sheet: Sheet,
    progress: Progress,
    contact_id: i64,
}

impl Training {
    /// Starts following the trainee tickets the dispatcher has created.
    pub(super) async fn adopt(&self, now: UnixMs) -> Result<(), TrainingError> {
        let store = &self.inner.store;
        for (lifecycle_id, ticket_id, scenario, created_at) in
            store.unadopted_trainees(BATCH).await?
        {
            let progress = Progress {
                ticket_created_at: created_at,
                ..Progress::default()
            };
            let ticket = TrainingTicket {
                lifecycle_id,
                ticket_id,
                scenario,
                state: to_json(&progress),
                chase_due_at: Some(
                    created_at.max(now - self.inner.cfg.sla_ms) + self.inner.cfg.sla_ms,
                ),
                closed_at: None,
                grade: None,
            };
            if store.adopt_trainee(&ticket).await? {
                tracing::info!(
                    lifecycle = lifecycle_id,
                    ticket = ticket_id,
                    "training: following a new trainee ticket"
                );
            }
        }
        Ok(())
    }

    pub(super) async fn handle_inbox(&self) -> Result<(), TrainingError> {
        let store = &self.inner.store;
        for row in store.pending_events(BATCH).await? {
            match self.handle_event(&row).await {
                Ok(note) => store.finish_event(row.id, self.now(), &note).await?,
                Err(TrainingError::Freshdesk(FdError::NotFound { .. })) => {
                    store
                        .finish_event(row.id, self.now(), "ticket gone")
                        .await?
                }
                // Trying again would fail the same way: note why and go on,
                // so one bad event does not hold up the others.
                Err(TrainingError::Freshdesk(e)) if !e.is_transient() => {
                    tracing::warn!(ticket = row.ticket_id, error = %e, "training: an event could not be handled; skipped");
                    let note = format!("failed: {e}");
                    store.finish_event(row.id, self.now(), &note).await?
                }
                // Left in the inbox: the next round tries again.
                Err(e) => {
                    tracing::warn!(ticket = row.ticket_id, error = %e, "training: could not handle an event yet");
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    /// Reacts to what the event's ticket shows; returns a note for the inbox.
    async fn handle_event(&self, row: &InboxRow) -> Result<String, TrainingError> {
        self.adopt(self.now()).await?;
        let Some(mut case) = self.case(row.ticket_id).await? else {
            return Ok("not a trainee ticket".into());
        };
        if case.ticket.closed_at.is_some() {
            return Ok("ticket already closed".into());
        }
        let mut conversations = self.inner.client.list_conversations(row.ticket_id).await?;
        conversations.sort_by_key(|c| c.id);
        let mut answered = 0;
        for c in &conversations {
            if !self.is_new_agent_reply(c, case.contact_id).await? {
                continue;
            }
            if self.answer(&mut case, c).await? {
                answered += 1;
            }
            if case.progress.fixed_at.is_some() {
                return Ok(format!("answered {answered} replies; fixed"));
            }
        }
        if matches!(row.status, Some(RESOLVED | CLOSED)) {
            self.reopen(&mut case).await?;
            return Ok(format!("answered {answered} replies; reopened"));
        }
        Ok(format!("answered {answered} replies"))
    }

    async fn case(&self, ticket_id: i64) -> Result<Option<Case>, TrainingError> {
        let store = &self.inner.store;
        let Some(ticket) = store.training_ticket(ticket_id).await? else {
            return Ok(None);
        };
        let lifecycle = store.lifecycle(ticket.lifecycle_id).await?;
        let Some(plan) = lifecycle.plan.as_ref() else {
            return Ok(None);
        };
        let sheet = plan
            .training
            .as_deref()
            .and_then(|s| serde_json::from_str::<Sheet>(s).ok());
        let Some(sheet) = sheet else {
            return Ok(None);
        };
        let progress = serde_json::from_str(&ticket.state).unwrap_or_default();
        let contact_id = plan.contact_id;
        Ok(Some(Case {
            ticket,
            lifecycle,
            sheet,
            progress,
            contact_id,
        }))
    }

    /// A public reply by a human agent, neither sent by ticketsim nor answered.
    async fn is_new_agent_reply(
        &self,
        c: &Conversation,
        contact_id: i64,
    ) -> Result<bool, TrainingError> {
        let store = &self.inner.store;
        if c.private == Some(true) || c.incoming == Some(true) || c.user_id == Some(contact_id) {
            return Ok(false);
        }
        Ok(!store.conversation_is_known(c.id).await? && !store.reply_is_seen(c.id).await?)
    }

    /// The customer's reaction to one reply, written with its steps.
    async fn answer(&self, case: &mut Case, c: &Conversation) -> Result<bool, TrainingError> {
        let now = self.now();
        let at = c.created_at.as_deref().and_then(parse_iso).unwrap_or(now);
        let text = c
            .body_text
            .clone()
            .unwrap_or_else(|| content::html_to_text(c.body.as_deref().unwrap_or_default()));
        let reaction = react(&case.sheet, &text);
        let mut progress = case.progress.clone();
        progress.record(&reaction, at);
        if let Some(agent) = c.user_id {
            progress.agent_id = Some(agent);
            progress.agent_name = self.agent_name(agent).await;
        }
        let due = now + self.delay();
        let mut steps = vec![self.customer_step(case, &progress, reaction.lines(), due, None)];
        let (mut chase_due_at, mut closed_at, mut grade) =
            (Some(due + self.inner.cfg.sla_ms), None, None);
        if let Reaction::Confirmed { .. } = reaction {
            let g = Grade::new(
                case.ticket.ticket_id,
                &case.ticket.scenario,
                &progress,
                &case.sheet,
                due,
            );
            steps.extend(self.closing_steps(&g, due));
            (chase_due_at, closed_at, grade) = (None, Some(due), Some(to_json(&g)));
        }
        let write = ReactionWrite {
            lifecycle_id: case.ticket.lifecycle_id,
            conversation_id: Some(c.id),
            agent_id: c.user_id,
            reaction: reaction.name().into(),
            steps,
            state: to_json(&progress),
            chase_due_at,
            closed_at,
            grade,
        };
        self.write(case, write, progress, c.id).await
    }

    /// The grade note (if asked for) and the close, right after the confirmation.
    fn closing_steps(&self, g: &Grade, due: UnixMs) -> Vec<PlannedStep> {
        let mut steps = Vec::new();
        if self.inner.cfg.grade_note
            && let Some(agent) = g.agent_id
        {
            steps.push(PlannedStep {
                kind: Stage::PrivateNote,
                params: StepParams::default(),
                offset_ms: due + 1,
                message: Some(PlannedMessage {
                    author_kind: "agent".into(),
                    author_id: agent,
                    body: content::plain_paragraphs(&g.note_lines()),
                    private: true,
                }),
            });
        }
        steps.push(PlannedStep {
            kind: Stage::Close,
            params: StepParams::default(),
            offset_ms: due + 2,
            message: None,
        });
        steps
    }

    /// A message by the customer at `due`, optionally setting a status.
    fn customer_step(
        &self,
        case: &Case,
        p: &Progress,
        lines: &[String],
        due: UnixMs,
        status: Option<i64>,
    ) -> PlannedStep {
        let first = p
            .agent_name
            .as_deref()
            .and_then(|n| n.split_whitespace().next())
            .unwrap_or("there");
        PlannedStep {
            kind: Stage::CustomerReply,
            params: StepParams {
                status,
                ..StepParams::default()
            },
            offset_ms: due,
            message: Some(PlannedMessage {
                author_kind: "customer".into(),
                author_id: case.contact_id,
                body: case.sheet.message(lines, first),
                private: false,
            }),
        }
    }

    /// Commits a reaction and, if it was new, takes its progress and wakes the dispatcher.
    async fn write(
        &self,
        case: &mut Case,
        w: ReactionWrite,
        progress: Progress,
        what: i64,
    ) -> Result<bool, TrainingError> {
        let applied = self.inner.store.apply_reaction(&w, self.now()).await?;
        if applied {
            tracing::info!(lifecycle = case.lifecycle.id, reply = what, reaction = %w.reaction, "training: the customer will answer");
            case.progress = progress;
            case.ticket.closed_at = w.closed_at;
            self.inner.dispatcher.notify_one();
        }
        Ok(applied)
    }

    /// The trainee resolved or closed the ticket without the right fix: the
    /// customer reopens it (once per resolution), which counts against them.
    async fn reopen(&self, case: &mut Case) -> Result<(), TrainingError> {
        let mut progress = case.progress.clone();
        if progress.fixed_at.is_some() || progress.reopened_at_exchange == Some(progress.exchanges)
        {
            return Ok(());
        }
        progress.reopens += 1;
        progress.reopened_at_exchange = Some(progress.exchanges);
        let mut lines =
            vec!["This isn't fixed on my side, so I'm reopening the ticket.".to_string()];
        lines.extend(case.sheet.vague.iter().cloned());
        let due = self.now() + self.delay();
        let step = self.customer_step(case, &progress, &lines, due, Some(OPEN));
        let write = self.progress_only(
            case,
            "reopen",
            vec![step],
            &progress,
            Some(due + self.inner.cfg.sla_ms),
        );
        self.write(case, write, progress, 0).await.map(|_| ())
    }

    /// Chases on every open trainee ticket whose SLA has passed.
    pub(super) async fn chase_due(&self, now: UnixMs) -> Result<(), TrainingError> {
        for ticket in self.inner.store.due_chases(now, BATCH).await? {
            let Some(mut case) = self.case(ticket.ticket_id).await? else {
                continue;
            };
            let mut progress = case.progress.clone();
            progress.frustration += 1;
            progress.sla_misses += 1;
            let give_up = progress.frustration > self.inner.cfg.max_chases;
            let steps = if give_up {
                vec![]
            } else {
                let lines = case.sheet.chase(progress.frustration as usize);
                vec![self.customer_step(&case, &progress, &lines, now, None)]
            };
            let next = (!give_up).then_some(now + self.inner.cfg.sla_ms);
            let write = self.progress_only(&case, "chase", steps, &progress, next);
            self.write(&mut case, write, progress, 0).await?;
        }
        Ok(())
    }

    fn progress_only(
        &self,
        case: &Case,
        what: &str,
        steps: Vec<PlannedStep>,
        p: &Progress,
        chase: Option<UnixMs>,
    ) -> ReactionWrite {
        ReactionWrite {
            lifecycle_id: case.ticket.lifecycle_id,
            conversation_id: None,
            agent_id: p.agent_id,
            reaction: what.into(),
            steps,
            state: to_json(p),
            chase_due_at: chase,
            closed_at: None,
            grade: None,
        }
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "{}".into())
}
