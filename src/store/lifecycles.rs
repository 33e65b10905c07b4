//! A lifecycle's plan, its intents and its message history.

use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::{Result, Store, StoreError, parse_text};
use crate::clock::UnixMs;
use crate::domain::{LifecycleState, Stage};

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
}

/// A message to be sent, as stored with the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedMessage {
    pub stage: Stage,
    pub body: String,
}

/// A message of the history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub id: i64,
    pub stage: Stage,
    pub author_kind: String,
    pub author_id: i64,
    pub body: String,
    pub intent_at: Option<UnixMs>,
    pub fd_conversation_id: Option<i64>,
    pub sent_at: Option<UnixMs>,
}

const LIFECYCLE_COLS: &str = "id, state, seed, created_at, contact_id, contact_name, contact_email,
    agent_id, agent_name, category, scenario, subject, ticket_type, priority, tags,
    create_intent_at, ticket_id, ticket_created_at, last_error";

const MESSAGE_COLS: &str =
    "id, stage, author_kind, author_id, body, intent_at, fd_conversation_id, sent_at";

pub(super) fn lifecycle_from_row(r: &SqliteRow) -> Result<Lifecycle> {
    let contact_id: Option<i64> = r.get("contact_id");
    let plan = match contact_id {
        None => None,
        Some(contact_id) => {
            let tags: String = r.get::<Option<String>, _>("tags").unwrap_or_default();
            Some(Plan {
                contact_id,
                contact_name: r
                    .get::<Option<String>, _>("contact_name")
                    .unwrap_or_default(),
                contact_email: r.get("contact_email"),
                agent_id: r.get::<Option<i64>, _>("agent_id").unwrap_or_default(),
                agent_name: r.get::<Option<String>, _>("agent_name").unwrap_or_default(),
                category: r.get::<Option<String>, _>("category").unwrap_or_default(),
                scenario: r.get::<Option<String>, _>("scenario").unwrap_or_default(),
                subject: r.get::<Option<String>, _>("subject").unwrap_or_default(),
                ticket_type: r
                    .get::<Option<String>, _>("ticket_type")
                    .unwrap_or_default(),
                priority: r.get::<Option<i64>, _>("priority").unwrap_or(1),
                tags: serde_json::from_str(&tags).unwrap_or_default(),
            })
        }
    };
    Ok(Lifecycle {
        id: r.get("id"),
        state: parse_text(r.get::<&str, _>("state"))?,
        seed: r.get::<i64, _>("seed") as u64,
        created_at: r.get("created_at"),
        plan,
        create_intent_at: r.get("create_intent_at"),
        ticket_id: r.get("ticket_id"),
        ticket_created_at: r.get("ticket_created_at"),
        last_error: r.get("last_error"),
    })
}

pub(super) fn message_from_row(r: &SqliteRow) -> Result<Message> {
    Ok(Message {
        id: r.get("id"),
        stage: parse_text(r.get::<&str, _>("stage"))?,
        author_kind: r.get("author_kind"),
        author_id: r.get("author_id"),
        body: r.get("body"),
        intent_at: r.get("intent_at"),
        fd_conversation_id: r.get("fd_conversation_id"),
        sent_at: r.get("sent_at"),
    })
}

impl Store {
    pub async fn lifecycle(&self, id: i64) -> Result<Lifecycle> {
        let sql = format!("SELECT {LIFECYCLE_COLS} FROM lifecycles WHERE id = ?1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        let row = row.ok_or_else(|| StoreError::Data(format!("no lifecycle {id}")))?;
        lifecycle_from_row(&row)
    }

    /// Finds a lifecycle by its id, or else by its Freshdesk ticket id.
    pub async fn find_lifecycle(&self, id_or_ticket: i64) -> Result<Option<Lifecycle>> {
        let sql = format!(
            "SELECT {LIFECYCLE_COLS} FROM lifecycles WHERE id = ?1
             UNION ALL SELECT {LIFECYCLE_COLS} FROM lifecycles WHERE ticket_id = ?1 LIMIT 1"
        );
        let row = sqlx::query(&sql)
            .bind(id_or_ticket)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(lifecycle_from_row).transpose()
    }

    /// Stores the plan and every message it will send, in one transaction,
    /// before any request is made for the lifecycle.
    pub async fn save_plan(
        &self,
        lifecycle_id: i64,
        plan: &Plan,
        messages: &[PlannedMessage],
        now: UnixMs,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE lifecycles SET contact_id = ?2, contact_name = ?3, contact_email = ?4,
             agent_id = ?5, agent_name = ?6, category = ?7, scenario = ?8, subject = ?9,
             ticket_type = ?10, priority = ?11, tags = ?12, updated_at = ?13
             WHERE id = ?1 AND contact_id IS NULL",
        )
        .bind(lifecycle_id)
        .bind(plan.contact_id)
        .bind(&plan.contact_name)
        .bind(&plan.contact_email)
        .bind(plan.agent_id)
        .bind(&plan.agent_name)
        .bind(&plan.category)
        .bind(&plan.scenario)
        .bind(&plan.subject)
        .bind(&plan.ticket_type)
        .bind(plan.priority)
        .bind(serde_json::to_string(&plan.tags).unwrap_or_else(|_| "[]".into()))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        for m in messages {
            let (kind, author) = match m.stage.author() {
                Some("agent") => ("agent", plan.agent_id),
                _ => ("customer", plan.contact_id),
            };
            sqlx::query(
                "INSERT INTO messages (lifecycle_id, stage, author_kind, author_id, body)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .bind(lifecycle_id)
            .bind(m.stage.as_str())
            .bind(kind)
            .bind(author)
            .bind(&m.body)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Records that `POST /tickets` is about to be sent for this lifecycle.
    pub async fn mark_create_intent(&self, lifecycle_id: i64, now: UnixMs) -> Result<()> {
        sqlx::query("UPDATE lifecycles SET create_intent_at = ?2, updated_at = ?2 WHERE id = ?1")
            .bind(lifecycle_id)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records the created ticket, and the description as the first message sent.
    pub async fn record_ticket(&self, lifecycle_id: i64, ticket_id: i64, at: UnixMs) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE lifecycles SET ticket_id = ?2, ticket_created_at = ?3, updated_at = ?3
             WHERE id = ?1",
        )
        .bind(lifecycle_id)
        .bind(ticket_id)
        .bind(at)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE messages SET sent_at = ?2 WHERE lifecycle_id = ?1 AND stage = 'create'",
        )
        .bind(lifecycle_id)
        .bind(at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// True when some lifecycle already owns this Freshdesk ticket.
    pub async fn ticket_is_known(&self, ticket_id: i64) -> Result<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM lifecycles WHERE ticket_id = ?1")
            .bind(ticket_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(n > 0)
    }

    /// True when some message already records this Freshdesk conversation.
    pub async fn conversation_is_known(&self, conversation_id: i64) -> Result<bool> {
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM messages WHERE fd_conversation_id = ?1")
                .bind(conversation_id)
                .fetch_one(&self.pool)
                .await?;
        Ok(n > 0)
    }

    pub async fn message(&self, lifecycle_id: i64, stage: Stage) -> Result<Message> {
        let sql =
            format!("SELECT {MESSAGE_COLS} FROM messages WHERE lifecycle_id = ?1 AND stage = ?2");
        let row = sqlx::query(&sql)
            .bind(lifecycle_id)
            .bind(stage.as_str())
            .fetch_optional(&self.pool)
            .await?;
        let row = row.ok_or_else(|| {
            StoreError::Data(format!("lifecycle {lifecycle_id} has no {stage} message"))
        })?;
        message_from_row(&row)
    }

    /// All messages of a lifecycle, sent ones first in time order, then unsent.
    pub async fn messages(&self, lifecycle_id: i64) -> Result<Vec<Message>> {
        let sql = format!(
            "SELECT {MESSAGE_COLS} FROM messages WHERE lifecycle_id = ?1
             ORDER BY sent_at IS NULL, sent_at, id"
        );
        let rows = sqlx::query(&sql)
            .bind(lifecycle_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(message_from_row).collect()
    }

    /// Records that the message is about to be sent.
    pub async fn mark_message_intent(&self, message_id: i64, now: UnixMs) -> Result<()> {
        sqlx::query("UPDATE messages SET intent_at = ?2 WHERE id = ?1")
            .bind(message_id)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records that the message is in Freshdesk as conversation `conversation_id`.
    pub async fn mark_message_sent(
        &self,
        message_id: i64,
        conversation_id: i64,
        at: UnixMs,
    ) -> Result<()> {
        sqlx::query("UPDATE messages SET fd_conversation_id = ?2, sent_at = ?3 WHERE id = ?1")
            .bind(message_id)
            .bind(conversation_id)
            .bind(at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::StageOffsets;
    use crate::store::testutil::temp_store;

    pub fn plan() -> Plan {
        Plan {
            contact_id: 11,
            contact_name: "Nadia Fenwick".into(),
            contact_email: Some("nadia@example.test".into()),
            agent_id: 22,
            agent_name: "Robin Ashford".into(),
            category: "billing".into(),
            scenario: "double-charge".into(),
            subject: "Charged twice".into(),
            ticket_type: "Problem".into(),
            priority: 2,
            tags: vec!["ticketsim".into(), "billing".into()],
        }
    }

    fn planned() -> Vec<PlannedMessage> {
        [
            Stage::Create,
            Stage::AgentReply,
            Stage::CustomerReply,
            Stage::Resolve,
        ]
        .into_iter()
        .map(|stage| PlannedMessage {
            stage,
            body: format!("<p>{stage}</p>"),
        })
        .collect()
    }

    #[tokio::test]
    async fn a_saved_plan_and_its_messages_read_back() {
        let (s, _d) = temp_store().await;
        let id = s
            .start_slot(0, 0, 1, &StageOffsets::DEFAULT)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(s.lifecycle(id).await.unwrap().plan, None);
        s.save_plan(id, &plan(), &planned(), 1).await.unwrap();
        let l = s.lifecycle(id).await.unwrap();
        assert_eq!(l.plan, Some(plan()));
        let m = s.message(id, Stage::AgentReply).await.unwrap();
        assert_eq!((m.author_kind.as_str(), m.author_id), ("agent", 22));
        let m = s.message(id, Stage::CustomerReply).await.unwrap();
        assert_eq!((m.author_kind.as_str(), m.author_id), ("customer", 11));
    }

    #[tokio::test]
    async fn intents_tickets_and_sent_messages_are_recorded() {
        let (s, _d) = temp_store().await;
        let id = s
            .start_slot(0, 0, 1, &StageOffsets::DEFAULT)
            .await
            .unwrap()
            .unwrap();
        s.save_plan(id, &plan(), &planned(), 1).await.unwrap();
        s.mark_create_intent(id, 2).await.unwrap();
        assert!(!s.ticket_is_known(7).await.unwrap());
        s.record_ticket(id, 7, 3).await.unwrap();
        assert!(s.ticket_is_known(7).await.unwrap());
        let l = s.find_lifecycle(7).await.unwrap().unwrap();
        assert_eq!(
            (l.id, l.create_intent_at, l.ticket_id),
            (id, Some(2), Some(7))
        );
        let m = s.message(id, Stage::AgentReply).await.unwrap();
        s.mark_message_intent(m.id, 4).await.unwrap();
        s.mark_message_sent(m.id, 900, 5).await.unwrap();
        assert!(s.conversation_is_known(900).await.unwrap());
        let all = s.messages(id).await.unwrap();
        assert_eq!(all[0].stage, Stage::Create);
        assert_eq!(all[0].sent_at, Some(3));
        assert_eq!(all[1].fd_conversation_id, Some(900));
        assert_eq!(all[1].intent_at, Some(4));
        assert_eq!(all[2].sent_at, None);
    }
}
