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
    /// The steps of a lifecycle, in order.
    Stage {
        /// Create the ticket for the contact and assign it to the agent.
        Create = "create",
        /// The assigned agent's first reply.
        AgentReply = "agent_reply",
        /// The customer's follow-up, posted as the requester.
        CustomerReply = "customer_reply",
        /// The agent's resolution reply, then status Resolved.
        Resolve = "resolve",
        /// Status Closed.
        Close = "close",
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
    /// Position in the lifecycle, 0 for creation.
    pub fn seq(self) -> usize {
        Stage::ALL.iter().position(|&s| s == self).unwrap_or(0)
    }

    /// The lifecycle state once this stage is done.
    pub fn state_after(self) -> LifecycleState {
        match self {
            Stage::Create => LifecycleState::Open,
            Stage::AgentReply => LifecycleState::AgentReplied,
            Stage::CustomerReply => LifecycleState::CustomerReplied,
            Stage::Resolve => LifecycleState::Resolved,
            Stage::Close => LifecycleState::Closed,
        }
    }

    /// Who speaks in this stage's message, if it has one.
    pub fn author(self) -> Option<&'static str> {
        match self {
            Stage::Create | Stage::CustomerReply => Some("customer"),
            Stage::AgentReply | Stage::Resolve => Some("agent"),
            Stage::Close => None,
        }
    }

    /// A short human label for logs and the demo.
    pub fn label(self) -> &'static str {
        match self {
            Stage::Create => "ticket created",
            Stage::AgentReply => "agent reply",
            Stage::CustomerReply => "customer reply",
            Stage::Resolve => "resolved",
            Stage::Close => "closed",
        }
    }
}

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
    fn stages_are_in_lifecycle_order_and_end_closed() {
        assert_eq!(Stage::Create.seq(), 0);
        assert_eq!(Stage::Close.seq(), 4);
        assert_eq!(Stage::Close.state_after(), LifecycleState::Closed);
        assert!(LifecycleState::Closed.is_terminal());
        assert!(!LifecycleState::Resolved.is_terminal());
    }
}
