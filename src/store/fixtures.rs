//! Plans and steps shared by the store's tests.

use super::{Plan, PlannedMessage, PlannedStep};
use crate::domain::{Stage, StepParams};

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
        playbook: "classic".into(),
        tone: "polite".into(),
        training: None,
    }
}

fn message(author_kind: &str, body: &str) -> Option<PlannedMessage> {
    let author_id = if author_kind == "agent" { 22 } else { 11 };
    Some(PlannedMessage {
        author_kind: author_kind.into(),
        author_id,
        body: format!("<p>{body}</p>"),
        private: false,
    })
}

/// The classic plan: creation, agent reply, customer reply, resolution, close.
pub fn classic_steps() -> Vec<PlannedStep> {
    let step = |kind, offset_ms, message| PlannedStep {
        kind,
        params: StepParams::default(),
        offset_ms,
        message,
    };
    vec![
        step(Stage::Create, 0, message("customer", "create")),
        step(Stage::AgentReply, 5_000, message("agent", "agent_reply")),
        step(
            Stage::CustomerReply,
            10_000,
            message("customer", "customer_reply"),
        ),
        step(Stage::Resolve, 15_000, message("agent", "resolve")),
        step(Stage::Close, 20_000, None),
    ]
}
