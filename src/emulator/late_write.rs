//! The late-write fault: Freshdesk applies a write after the client gave up
//! on it. The request is held back and takes effect `after_ms` after it
//! arrived, while its response either hangs (the client times out first) or
//! its connection is closed at once. A client that looks too early finds
//! nothing, and a client that sends again makes a duplicate.

use std::fmt;
use std::future::Future;
use std::str::FromStr;
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::time::Instant;

use super::error::json_response;
use super::misbehave::HANG_MAX;
use super::server::ConnKill;

/// What the client sees of a late write.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LateWriteMode {
    /// No answer comes (until the emulator's hang limit): the client times out.
    #[default]
    Hang,
    /// The connection is closed at once, without an answer.
    Drop,
}

impl fmt::Display for LateWriteMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LateWriteMode::Hang => "hang",
            LateWriteMode::Drop => "drop",
        })
    }
}

impl FromStr for LateWriteMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "hang" => Ok(LateWriteMode::Hang),
            "drop" => Ok(LateWriteMode::Drop),
            _ => Err(format!("{s:?} is not a late-write mode; use hang or drop")),
        }
    }
}

impl Serialize for LateWriteMode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Through [`FromStr`], so that a wrong value is named with the remedy.
impl<'de> Deserialize<'de> for LateWriteMode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// One late write: when it lands and what its response does meanwhile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LateWrite {
    pub after_ms: u64,
    pub mode: LateWriteMode,
}

impl LateWrite {
    /// The request log's name for it.
    pub(crate) fn label(&self) -> String {
        format!("late_write_{}", self.mode)
    }
}

/// Runs `write` (the request, then its log entry) `after_ms` after the
/// request `arrived`, in a task of its own so that it lands even when the
/// client has gone. Meanwhile the response hangs or the connection is
/// dropped. Without a connection handle (the router used outside
/// [`Emulator::serve`](super::Emulator::serve)) the answer comes once the
/// write has landed.
pub(crate) async fn serve(
    late: LateWrite,
    arrived: Instant,
    kill: Option<ConnKill>,
    write: impl Future<Output = Response> + Send + 'static,
) -> Response {
    let landed = tokio::spawn(async move {
        tokio::time::sleep_until(arrived + Duration::from_millis(late.after_ms)).await;
        write.await
    });
    let Some(kill) = kill else {
        return landed
            .await
            .unwrap_or_else(|_| json_response(StatusCode::INTERNAL_SERVER_ERROR, &json!({})));
    };
    if late.mode == LateWriteMode::Hang {
        tokio::time::sleep(HANG_MAX).await;
    }
    kill.fire();
    std::future::pending::<Response>().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_read_and_print_as_hang_and_drop() {
        assert_eq!("hang".parse(), Ok(LateWriteMode::Hang));
        assert_eq!(" DROP ".parse(), Ok(LateWriteMode::Drop));
        assert!(
            "late"
                .parse::<LateWriteMode>()
                .unwrap_err()
                .contains("hang or drop")
        );
        let late = LateWrite {
            after_ms: 5,
            mode: LateWriteMode::Drop,
        };
        assert_eq!(late.label(), "late_write_drop");
        assert_eq!(serde_json::to_value(LateWriteMode::Hang).unwrap(), "hang");
    }
}
