//! Stages and states, each round-tripping to the TEXT column it is stored in.

use std::fmt;
use std::str::FromStr;

/// Defines a string-backed enum with `as_str`, `Display`, `FromStr` and `ALL`.
macro_rules! text_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $var:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $var),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$var),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$var => $s),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($s => Ok($name::$var),)+
                    other => Err(format!("unknown {} {other:?}", stringify!($name))),
                }
            }
        }
    };
}

text_enum!(
    /// What one step of a lifecycle does: its *kind*. The name `Stage` (and the
    /// `stage` columns) date from when every lifecycle had the same five steps; a
    /// playbook now lists any sequence of these kinds after `Create`.
    Stage {
        /// Create the ticket for the contact and assign it to the agent.
        Create = "create",
        /// A public reply by an agent (then, optionally, a status).
        AgentReply = "agent_reply",
        /// A public note posted as the requester (then, optionally, a status).
        CustomerReply = "customer_reply",
        /// The agent's resolution reply, then status Resolved.
        Resolve = "resolve",
        /// Status Closed.
        Close = "close",
        /// A private note by an agent, visible to agents only.
        PrivateNote = "private_note",
        /// A status change (`PUT status`), e.g. Pending or reopened.
        Status = "status",
        /// A priority change (`PUT priority`).
        Priority = "priority",
        /// Reassignment to another group and/or agent (`PUT group_id, responder_id`).
        Reassign = "reassign",
        /// The ticket's tags replaced by a new full list (`PUT tags`).
        Tags = "tags",
        /// Time logged by an agent (`POST time_entries`).
        TimeEntry = "time_entry",
    }
);

text_enum!(
    /// Where one step stands.
    StepState {
        Pending = "pending",
        Running = "running",
        Retry = "retry",
        Done = "done",
        Failed = "failed",
        Cancelled = "cancelled",
    }
);

text_enum!(
    /// Where a whole lifecycle stands: the last stage done, or how it ended.
    LifecycleState {
        Scheduled = "scheduled",
        Open = "open",
        AgentReplied = "agent_replied",
        CustomerReplied = "customer_replied",
        Resolved = "resolved",
        Closed = "closed",
        Failed = "failed",
        Cancelled = "cancelled",
    }
);

impl Stage {
    /// The lifecycle state once a step of this kind is done, or `None` when the
    /// step leaves it as it was (notes, time, reassignment, …). A status set by
    /// the step (`status`) wins for Resolved and Closed, so a playbook that ends
    /// with "reply and close" still ends `closed`.
    pub fn state_after(self, status: Option<i64>) -> Option<LifecycleState> {
        match status {
            Some(RESOLVED) => return Some(LifecycleState::Resolved),
            Some(CLOSED) => return Some(LifecycleState::Closed),
            _ => {}
        }
        match self {
            Stage::Create => Some(LifecycleState::Open),
            Stage::AgentReply => Some(LifecycleState::AgentReplied),
            Stage::CustomerReply => Some(LifecycleState::CustomerReplied),
            Stage::Resolve => Some(LifecycleState::Resolved),
            Stage::Close => Some(LifecycleState::Closed),
            _ => None,
        }
    }

    /// Who speaks in a step of this kind, if it carries a message.
    pub fn author(self) -> Option<&'static str> {
        match self {
            Stage::Create | Stage::CustomerReply => Some("customer"),
            Stage::AgentReply | Stage::Resolve | Stage::PrivateNote => Some("agent"),
            _ => None,
        }
    }

    /// True for the kinds whose step sends a message (and so has a message row).
    pub fn has_message(self) -> bool {
        self.author().is_some()
    }

    /// A short human label for logs and the demo.
    pub fn label(self) -> &'static str {
        match self {
            Stage::Create => "ticket created",
            Stage::AgentReply => "agent reply",
            Stage::CustomerReply => "customer reply",
            Stage::Resolve => "resolved",
            Stage::Close => "closed",
            Stage::PrivateNote => "private note",
            Stage::Status => "status change",
            Stage::Priority => "priority change",
            Stage::Reassign => "reassigned",
            Stage::Tags => "tags changed",
            Stage::TimeEntry => "time logged",
        }
    }
}

/// Freshdesk's status ids that end a conversation (api §6.3).
const RESOLVED: i64 = 4;
const CLOSED: i64 = 5;

impl LifecycleState {
    /// True once nothing more will happen to the lifecycle.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            LifecycleState::Closed | LifecycleState::Failed | LifecycleState::Cancelled
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_round_trips_through_its_text() {
        for s in Stage::ALL {
            assert_eq!(s.as_str().parse::<Stage>(), Ok(*s));
        }
        for s in StepState::ALL {
            assert_eq!(s.as_str().parse::<StepState>(), Ok(*s));
        }
        for s in LifecycleState::ALL {
            assert_eq!(s.as_str().parse::<LifecycleState>(), Ok(*s));
        }
        assert!("nope".parse::<Stage>().is_err());
    }

    #[test]
    fn the_classic_kinds_move_the_lifecycle_and_end_closed() {
        assert_eq!(Stage::Create.state_after(None), Some(LifecycleState::Open));
        assert_eq!(Stage::Close.state_after(None), Some(LifecycleState::Closed));
        assert!(LifecycleState::Closed.is_terminal());
        assert!(!LifecycleState::Resolved.is_terminal());
    }

    #[test]
    fn side_steps_keep_the_state_unless_they_resolve_or_close() {
        assert_eq!(Stage::PrivateNote.state_after(None), None);
        assert_eq!(Stage::Status.state_after(Some(3)), None);
        assert_eq!(Stage::Status.state_after(Some(2)), None);
        assert_eq!(
            Stage::Status.state_after(Some(5)),
            Some(LifecycleState::Closed)
        );
        assert_eq!(
            Stage::AgentReply.state_after(Some(5)),
            Some(LifecycleState::Closed)
        );
        assert_eq!(
            Stage::AgentReply.state_after(Some(3)),
            Some(LifecycleState::AgentReplied)
        );
    }

    #[test]
    fn only_conversation_kinds_carry_a_message() {
        let with: Vec<Stage> = Stage::ALL
            .iter()
            .copied()
            .filter(|s| s.has_message())
            .collect();
        assert_eq!(
            with,
            [
                Stage::Create,
                Stage::AgentReply,
                Stage::CustomerReply,
                Stage::Resolve,
                Stage::PrivateNote
            ]
        );
    }
}
