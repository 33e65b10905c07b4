//! The rate limits (freshdesk-api.md §4): an account-wide fixed window of
//! 60 s that opens at the first request after the previous one closed, plus
//! the per-endpoint limits of the plan (ticket create, ticket update, tickets
//! list, contacts list), each a window of its own. Every request is charged,
//! failed ones too; `include`s cost extra credits.

use axum::http::Method;

pub use super::plan::{EndpointLimits, Plan};
use crate::clock::UnixMs;

pub(crate) const WINDOW_MS: i64 = 60_000;

/// The endpoints with limits of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    TicketCreate,
    TicketUpdate,
    TicketsList,
    ContactsList,
}

impl Endpoint {
    /// Which limited endpoint a request is, if any.
    pub(crate) fn of(method: &Method, path: &str) -> Option<Endpoint> {
        let path = path.strip_suffix(".json").unwrap_or(path);
        let rest = path.strip_prefix("/api/v2/")?;
        match (method.as_str(), rest.split_once('/')) {
            ("POST", None) if rest == "tickets" => Some(Endpoint::TicketCreate),
            ("GET", None) if rest == "tickets" => Some(Endpoint::TicketsList),
            ("GET", None) if rest == "contacts" => Some(Endpoint::ContactsList),
            ("PUT", Some(("tickets", id)))
                if !id.is_empty() && !id.contains('/') && id != "bulk_update" =>
            {
                Some(Endpoint::TicketUpdate)
            }
            _ => None,
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// The account window and the endpoint windows.
#[derive(Debug, Clone)]
pub(crate) struct Limiter {
    account: FixedWindow,
    endpoints: [Option<FixedWindow>; 4],
}

impl Limiter {
    pub(crate) fn new(per_min: u32, limits: EndpointLimits) -> Limiter {
        let w = |l: Option<u32>| l.map(FixedWindow::new);
        Limiter {
            account: FixedWindow::new(per_min),
            endpoints: [
                w(limits.ticket_create),
                w(limits.ticket_update),
                w(limits.tickets_list),
                w(limits.contacts_list),
            ],
        }
    }

    /// Refused when either the account or the endpoint has no credit left
    /// (nothing is charged then); otherwise both are charged. The headers
    /// always describe the account window.
    pub(crate) fn admit(
        &mut self,
        now: UnixMs,
        cost: u32,
        endpoint: Option<Endpoint>,
    ) -> Admission {
        if let Err(retry_after_secs) = self.account.check(now) {
            return Admission::Limited { retry_after_secs };
        }
        let sub = endpoint.and_then(|e| self.endpoints[e.index()].as_mut());
        if let Some(w) = sub {
            if let Err(retry_after_secs) = w.check(now) {
                return Admission::Limited { retry_after_secs };
            }
            w.charge(cost);
        }
        self.account.charge(cost);
        Admission::Allowed {
            total: self.account.limit,
            remaining: self.account.limit.saturating_sub(self.account.used),
            cost,
        }
    }
}

/// What the limiter decided for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admission {
    /// Served; the values of the `X-RateLimit-*` headers.
    Allowed {
        total: u32,
        remaining: u32,
        cost: u32,
    },
    /// Refused with 429; `Retry-After` in whole seconds (at least 1).
    Limited { retry_after_secs: i64 },
}

/// A fixed window counter. Pure: the caller passes `now`.
#[derive(Debug, Clone)]
pub(crate) struct FixedWindow {
    limit: u32,
    start: Option<UnixMs>,
    used: u32,
}

impl FixedWindow {
    pub(crate) fn new(limit: u32) -> Self {
        Self {
            limit,
            start: None,
            used: 0,
        }
    }

    /// Opens a new window if the last one is over; `Err(Retry-After)` when
    /// no credit is left. A request that arrives with one credit left is
    /// served even if it costs more (`remaining` then shows 0, never less).
    fn check(&mut self, now: UnixMs) -> Result<(), i64> {
        let start = match self.start {
            Some(s) if now >= s && now < s + WINDOW_MS => s,
            _ => {
                self.used = 0;
                self.start = Some(now);
                now
            }
        };
        if self.used >= self.limit {
            let left_ms = start + WINDOW_MS - now;
            return Err(((left_ms + 999) / 1000).max(1));
        }
        Ok(())
    }

    fn charge(&mut self, cost: u32) {
        self.used = self.used.saturating_add(cost);
    }

    #[cfg(test)]
    fn admit(&mut self, now: UnixMs, cost: u32) -> Admission {
        if let Err(retry_after_secs) = self.check(now) {
            return Admission::Limited { retry_after_secs };
        }
        self.charge(cost);
        Admission::Allowed {
            total: self.limit,
            remaining: self.limit.saturating_sub(self.used),
            cost,
        }
    }
}

/// Credits a request costs: 1, plus 1 per `include` on a ticket view and 2
/// per `include` on the ticket list.
pub(crate) fn cost(method: &Method, path: &str, query: Option<&str>) -> u32 {
    if method != Method::GET {
        return 1;
    }
    let path = path.strip_suffix(".json").unwrap_or(path);
    let Some(rest) = path.strip_prefix("/api/v2/tickets") else {
        return 1;
    };
    let (per_include, valid): (u32, &[&str]) = if rest.is_empty() {
        (2, &["requester", "stats", "company", "description"])
    } else if rest.len() > 1 && !rest[1..].contains('/') {
        (
            1,
            &[
                "conversations",
                "requester",
                "company",
                "stats",
                "sla_policy",
            ],
        )
    } else {
        return 1;
    };
    1 + per_include * count_includes(query, valid)
}

/// Distinct valid names in the `include` parameter(s).
fn count_includes(query: Option<&str>, valid: &[&str]) -> u32 {
    let mut seen: Vec<&str> = Vec::new();
    for pair in query.unwrap_or("").split('&') {
        let Some(value) = pair.strip_prefix("include=") else {
            continue;
        };
        for name in value.split("%2C").flat_map(|v| v.split(',')) {
            let name = name.trim();
            if valid.contains(&name) && !seen.contains(&name) {
                seen.push(name);
            }
        }
    }
    u32::try_from(seen.len()).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_opens_at_first_request_and_refuses_past_the_limit() {
        let mut w = FixedWindow::new(2);
        let a = w.admit(10_000, 1);
        assert_eq!(
            a,
            Admission::Allowed {
                total: 2,
                remaining: 1,
                cost: 1
            }
        );
        assert!(matches!(
            w.admit(20_000, 1),
            Admission::Allowed { remaining: 0, .. }
        ));
        // The window opened at 10 s, so 30.5 s later 39.5 s are left → 40.
        assert_eq!(
            w.admit(30_500, 1),
            Admission::Limited {
                retry_after_secs: 40
            }
        );
        assert_eq!(
            w.admit(69_999, 1),
            Admission::Limited {
                retry_after_secs: 1
            }
        );
        assert!(matches!(
            w.admit(70_000, 1),
            Admission::Allowed { remaining: 1, .. }
        ));
    }

    #[test]
    fn remaining_never_goes_below_zero() {
        let mut w = FixedWindow::new(3);
        w.admit(0, 1);
        w.admit(0, 1);
        let a = w.admit(0, 5);
        assert_eq!(
            a,
            Admission::Allowed {
                total: 3,
                remaining: 0,
                cost: 5
            }
        );
    }

    #[test]
    fn endpoints_with_limits_of_their_own_are_recognised() {
        let e = |m: &str, p: &str| Endpoint::of(&Method::from_bytes(m.as_bytes()).unwrap(), p);
        assert_eq!(e("POST", "/api/v2/tickets"), Some(Endpoint::TicketCreate));
        assert_eq!(
            e("PUT", "/api/v2/tickets/7.json"),
            Some(Endpoint::TicketUpdate)
        );
        assert_eq!(e("GET", "/api/v2/tickets"), Some(Endpoint::TicketsList));
        assert_eq!(
            e("GET", "/api/v2/contacts.json"),
            Some(Endpoint::ContactsList)
        );
        assert_eq!(e("PUT", "/api/v2/tickets/7/restore"), None);
        assert_eq!(e("POST", "/api/v2/tickets/bulk_update"), None);
        assert_eq!(e("GET", "/api/v2/tickets/7"), None);
        assert_eq!(e("POST", "/api/v2/contacts"), None);
    }

    #[test]
    fn an_exhausted_endpoint_refuses_without_charging_the_account() {
        let limits = EndpointLimits {
            tickets_list: Some(1),
            ..EndpointLimits::default()
        };
        let mut l = Limiter::new(10, limits);
        let list = Some(Endpoint::TicketsList);
        assert!(matches!(
            l.admit(0, 3, list),
            Admission::Allowed {
                remaining: 7,
                cost: 3,
                ..
            }
        ));
        assert_eq!(
            l.admit(15_000, 1, list),
            Admission::Limited {
                retry_after_secs: 45
            }
        );
        assert!(matches!(
            l.admit(15_000, 1, None),
            Admission::Allowed { remaining: 6, .. }
        ));
        assert!(matches!(
            l.admit(60_000, 1, list),
            Admission::Allowed { remaining: 9, .. }
        ));
    }

    #[test]
    fn includes_cost_extra_credits() {
        let get = Method::GET;
        assert_eq!(cost(&get, "/api/v2/tickets", None), 1);
        let q = Some("include=requester,stats&page=2");
        assert_eq!(cost(&get, "/api/v2/tickets", q), 5);
        let q = Some("include=conversations%2Crequester");
        assert_eq!(cost(&get, "/api/v2/tickets/7.json", q), 3);
        assert_eq!(cost(&get, "/api/v2/tickets/7/conversations", q), 1);
        assert_eq!(cost(&Method::POST, "/api/v2/tickets", q), 1);
    }
}
