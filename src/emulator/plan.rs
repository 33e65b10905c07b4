//! Freshdesk plans and their per-minute limits (freshdesk-api.md §4, from
//! the knowledge-base article of March 2024): the account's, and those of
//! single endpoints on top.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Freshdesk plans and their per-minute limits (§4, the KB of March 2024).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Plan {
    Trial,
    Growth,
    Pro,
    Enterprise,
}

impl Plan {
    /// Calls a minute for the whole account.
    pub fn per_min(self) -> u32 {
        match self {
            Plan::Trial => 50,
            Plan::Growth => 200,
            Plan::Pro => 400,
            Plan::Enterprise => 700,
        }
    }

    /// The per-endpoint limits; unknown for the trial, so none there.
    pub fn endpoint_limits(self) -> EndpointLimits {
        let (write, list) = match self {
            Plan::Trial => return EndpointLimits::default(),
            Plan::Growth => (80, 20),
            Plan::Pro => (160, 100),
            Plan::Enterprise => (280, 200),
        };
        EndpointLimits {
            ticket_create: Some(write),
            ticket_update: Some(write),
            tickets_list: Some(list),
            contacts_list: Some(list),
        }
    }
}

impl FromStr for Plan {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "trial" => Ok(Plan::Trial),
            "growth" => Ok(Plan::Growth),
            "pro" => Ok(Plan::Pro),
            "enterprise" => Ok(Plan::Enterprise),
            other => Err(format!(
                "unknown plan {other:?}; use trial, growth, pro or enterprise"
            )),
        }
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Plan::Trial => "trial",
            Plan::Growth => "growth",
            Plan::Pro => "pro",
            Plan::Enterprise => "enterprise",
        };
        f.write_str(name)
    }
}

/// Per-minute limits of single endpoints, on top of the account's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointLimits {
    /// `POST /tickets`.
    pub ticket_create: Option<u32>,
    /// `PUT /tickets/{id}`.
    pub ticket_update: Option<u32>,
    /// `GET /tickets`.
    pub tickets_list: Option<u32>,
    /// `GET /contacts`.
    pub contacts_list: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_have_the_documented_limits() {
        assert_eq!("Growth".parse::<Plan>().unwrap().per_min(), 200);
        let pro = Plan::Pro.endpoint_limits();
        assert_eq!(
            (pro.ticket_create, pro.tickets_list),
            (Some(160), Some(100))
        );
        assert_eq!(Plan::Trial.endpoint_limits(), EndpointLimits::default());
        assert_eq!(Plan::Enterprise.per_min(), 700);
        assert!(
            "free"
                .parse::<Plan>()
                .unwrap_err()
                .contains("trial, growth")
        );
    }
}
