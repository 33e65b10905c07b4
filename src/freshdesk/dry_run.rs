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

#[cfg(test)]
mod tests {

    use super::super::client_tests::ticket;
    use super::super::stub::{Reply, Stub};
    use super::super::{Client, ClientConfig, Error};

    #[tokio::test]
    async fn a_dry_run_client_reads_but_refuses_every_write_without_sending_it() {
        let stub = Stub::start().await;
        stub.push([Reply::json(200, ticket(7))]);
        let client = Client::new(ClientConfig {
            dry_run: true,
            ..stub.config()
        })
        .unwrap();
        assert_eq!(client.get_ticket(7).await.unwrap().id, 7);
        let refused = [
            client.delete_ticket(7).await,
            client.change_status(7, 4).await.map(|_| ()),
            client.delete_contact(9).await,
        ];
        for r in refused {
            let e = r.unwrap_err();
            assert!(matches!(e, Error::Invalid(_)), "{e}");
            assert!(e.to_string().contains("dry run"), "{e}");
        }
        let seen: Vec<String> = stub.seen().iter().map(|s| s.method.clone()).collect();
        assert_eq!(seen, ["GET"], "only the read reached the server");
    }
}
