//! A lifecycle's message history, and the intents recorded before each POST.

use rusqlite::{OptionalExtension, params};
use sqlx::Row;

use super::sync_read::text_enum;
use super::{Result, Store, StoreError};
use crate::clock::UnixMs;
use crate::domain::Stage;

/// A message of the history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub id: i64,
    /// The step that sends it (0: the ticket's description).
    pub step_seq: i64,
    /// That step's kind.
    pub stage: Stage,
    pub author_kind: String,
    pub author_id: i64,
    pub body: String,
    /// A private note, seen by agents only.
    pub private: bool,
    pub intent_at: Option<UnixMs>,
    pub fd_conversation_id: Option<i64>,
    pub sent_at: Option<UnixMs>,
}

pub(super) const MESSAGE_COLS: &str =
    "id, step_seq, stage, author_kind, author_id, body, private, intent_at,
    fd_conversation_id, sent_at";

/// Decodes a row of [`MESSAGE_COLS`], by position (in that order).
pub(super) fn message_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Message> {
    Ok(Message {
        id: r.get(0)?,
        step_seq: r.get(1)?,
        stage: text_enum(r, 2)?,
        author_kind: r.get(3)?,
        author_id: r.get(4)?,
        body: r.get(5)?,
        private: r.get(6)?,
        intent_at: r.get(7)?,
        fd_conversation_id: r.get(8)?,
        sent_at: r.get(9)?,
    })
}

impl Store {
    /// The first message sent by a step of this kind (in a classic lifecycle, the
    /// only one).
    pub async fn message(&self, lifecycle_id: i64, stage: Stage) -> Result<Message> {
        let sql = format!(
            "SELECT {MESSAGE_COLS} FROM messages WHERE lifecycle_id = ?1 AND stage = ?2
             ORDER BY step_seq LIMIT 1"
        );
        let found = self.read_sync(|c| {
            c.prepare_cached(&sql)?
                .query_row(params![lifecycle_id, stage.as_str()], message_from_row)
                .optional()
        })?;
        found.ok_or_else(|| {
            StoreError::Data(format!("lifecycle {lifecycle_id} has no {stage} message"))
        })
    }

    /// The message that step `seq` of the lifecycle sends.
    pub async fn step_message(&self, lifecycle_id: i64, seq: i64) -> Result<Message> {
        let sql = format!(
            "SELECT {MESSAGE_COLS} FROM messages WHERE lifecycle_id = ?1 AND step_seq = ?2"
        );
        let found = self.read_sync(|c| {
            c.prepare_cached(&sql)?
                .query_row([lifecycle_id, seq], message_from_row)
                .optional()
        })?;
        found.ok_or_else(|| {
            StoreError::Data(format!(
                "lifecycle {lifecycle_id} has no message for step {seq}"
            ))
        })
    }

    /// All messages of a lifecycle, sent ones first in time order, then unsent in
    /// step order.
    pub async fn messages(&self, lifecycle_id: i64) -> Result<Vec<Message>> {
        let sql = format!(
            "SELECT {MESSAGE_COLS} FROM messages WHERE lifecycle_id = ?1
             ORDER BY sent_at IS NULL, sent_at, step_seq"
        );
        self.read_sync(|c| {
            c.prepare_cached(&sql)?
                .query_map([lifecycle_id], message_from_row)?
                .collect()
        })
    }

    /// True when some message already records this Freshdesk conversation.
    pub async fn conversation_is_known(&self, conversation_id: i64) -> Result<bool> {
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM messages WHERE fd_conversation_id = ?1")
                .bind(conversation_id)
                .fetch_one(&self.reads)
                .await?;
        Ok(n > 0)
    }

    /// A step's intent and created object as stored now: `(intent_at, fd_object_id)`.
    pub async fn step_intent(&self, step_id: i64) -> Result<(Option<UnixMs>, Option<i64>)> {
        let row = sqlx::query("SELECT intent_at, fd_object_id FROM steps WHERE id = ?1")
            .bind(step_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::Data(format!("no step {step_id}")))?;
        Ok((row.get(0), row.get(1)))
    }

    /// True when some step already records this Freshdesk object (a time entry).
    pub async fn step_object_is_known(&self, object_id: i64) -> Result<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM steps WHERE fd_object_id = ?1")
            .bind(object_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(n > 0)
    }
}

#[cfg(test)]
mod tests {
    use crate::store::fixtures::{classic_steps, plan};
    use crate::store::testutil::temp_store;

    #[tokio::test]
    async fn messages_are_found_by_the_step_that_sends_them() {
        let (s, _d) = temp_store().await;
        let id = s.start_slot(0, 0, 1).await.unwrap().unwrap();
        s.save_plan(id, &plan(), &classic_steps(), 1).await.unwrap();
        let m = s.step_message(id, 3).await.unwrap();
        assert_eq!(m.body, "<p>resolve</p>");
        assert!(!m.private);
        assert!(s.step_message(id, 4).await.is_err(), "close sends nothing");
    }

    #[tokio::test]
    async fn a_step_intent_and_its_object_are_recorded() {
        let (s, _d) = temp_store().await;
        let id = s.start_slot(0, 0, 1).await.unwrap().unwrap();
        s.save_plan(id, &plan(), &classic_steps(), 1).await.unwrap();
        let step = s.claim_due(0, 1).await.unwrap().remove(0);
        assert_eq!(s.step_intent(step.step_id).await.unwrap(), (None, None));
        s.mark_step_intent(step.step_id, 9).await.unwrap();
        assert!(!s.step_object_is_known(77).await.unwrap());
        s.record_step_object(step.step_id, 77).await.unwrap();
        assert_eq!(
            s.step_intent(step.step_id).await.unwrap(),
            (Some(9), Some(77))
        );
        assert!(s.step_object_is_known(77).await.unwrap());
    }
}
