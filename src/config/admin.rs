//! The admin endpoints' address (`TICKETSIM_HTTP_ADDR`) and the watchdog test
//! hook (`TICKETSIM_TEST_WEDGE_FILE`).

use std::net::SocketAddr;
use std::path::PathBuf;

use super::{ConfigError, Env, err};

pub const DEFAULT_HTTP_ADDR: &str = "127.0.0.1:9187";

/// `TICKETSIM_HTTP_ADDR`: `IP:PORT` (default [`DEFAULT_HTTP_ADDR`]), or `off`.
pub fn parse_http_addr(v: Option<String>) -> Result<Option<SocketAddr>, ConfigError> {
    let s = v.unwrap_or_else(|| DEFAULT_HTTP_ADDR.to_string());
    let s = s.trim();
    if s.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    s.parse::<SocketAddr>().map(Some).map_err(|_| {
        err(
            "TICKETSIM_HTTP_ADDR",
            format!(
                "expected IP:PORT such as {DEFAULT_HTTP_ADDR} or [::1]:9187, or `off` to serve no admin endpoints, got \"{s}\""
            ),
        )
    })
}

/// `TICKETSIM_TEST_WEDGE_FILE`: for tests only; see `dispatcher::Heartbeat`.
pub fn wedge_file(env: &impl Env) -> Option<PathBuf> {
    env.get("TICKETSIM_TEST_WEDGE_FILE").map(PathBuf::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_admin_address_defaults_to_loopback_and_off_disables_it() {
        let default = parse_http_addr(None).unwrap().unwrap();
        assert_eq!(default.to_string(), "127.0.0.1:9187");
        assert_eq!(parse_http_addr(Some("OFF".into())).unwrap(), None);
        let v6 = parse_http_addr(Some("[::1]:80".into())).unwrap().unwrap();
        assert!(v6.is_ipv6());
    }

    #[test]
    fn a_bad_admin_address_names_the_variable_and_the_remedy() {
        for bad in ["localhost:9187", "9187", "127.0.0.1", "1.2.3.4:99999"] {
            let e = parse_http_addr(Some(bad.into())).unwrap_err();
            assert_eq!(e.var, "TICKETSIM_HTTP_ADDR");
            assert!(e.problem.contains("off"), "{e}");
        }
    }
}
