//! `ClientConfig::dry_run`: the client sends GETs only and logs every write it
//! would have made (`ticketsim run --dry-run`).

use super::error::Error;
use super::transport::Request;

/// A dry run's answer to a write: logged with its body (never the key, which
/// travels in a header), and refused without a request.
pub(crate) fn refuse_write(req: &Request) -> Error {
    let body = req
        .body
        .as_deref()
        .map(|b| {
            String::from_utf8_lossy(b)
                .chars()
                .take(2_000)
                .collect::<String>()
        })
        .unwrap_or_default();
    tracing::info!(
        method = %req.method,
        path = req.url.path(),
        body = %body,
        "dry run: would send {} {}",
        req.method,
        req.url.path()
    );
    Error::Invalid(format!(
        "dry run: {} {} was not sent",
        req.method,
        req.url.path()
    ))
}
