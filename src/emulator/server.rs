//! The HTTP/1.1 server loop. axum's own `serve` gives no handle on a
//! connection, and the fault "close the connection without answering" needs
//! one, so connections are served here with hyper directly: each gets a
//! [`ConnKill`] in its requests' extensions, and firing it drops the socket.
//!
//! Shutdown stops accepting, asks every connection to finish its request in
//! hand, and drops the ones still busy after [`GRACE`] (hanging requests).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use bytes::Bytes;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tower::ServiceExt;

use crate::freshdesk::{Answer, InProcess, LocalServer};

/// How long shutdown waits for requests in hand.
const GRACE: Duration = Duration::from_secs(1);

/// Closes the connection its request came on, without a response.
#[derive(Clone, Default)]
pub(crate) struct ConnKill(Arc<Notify>);

impl ConnKill {
    pub(crate) fn fire(&self) {
        self.0.notify_one();
    }
}

/// Serves `app` on `listener` until `shutdown` completes.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    // Out of file descriptors and the like: wait, do not spin.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                };
                tokio::spawn(connection(stream, app.clone(), stop_rx.clone()));
            }
        }
    }
    drop(stop_rx);
    let _ = stop_tx.send(true);
    stop_tx.closed().await;
    Ok(())
}

/// One keep-alive connection, until the client leaves, a fault kills it or
/// the server stops.
async fn connection(stream: TcpStream, app: Router, mut stop: watch::Receiver<bool>) {
    let _ = stream.set_nodelay(true);
    let kill = ConnKill::default();
    let service = {
        let kill = kill.clone();
        hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            req.extensions_mut().insert(kill.clone());
            app.clone().oneshot(req)
        })
    };
    let conn = http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => return,
        () = kill.0.notified() => return,
        _ = stop.wait_for(|stopped| *stopped) => {}
    }
    conn.as_mut().graceful_shutdown();
    let _ = tokio::time::timeout(GRACE, conn).await;
}

/// The router as a [`LocalServer`]: each request goes through the same
/// middleware and handlers as one that came over a socket (only the
/// connection-closing fault has no connection to close).
struct Local(Router);

impl LocalServer for Local {
    fn answer(&self, request: http::Request<Bytes>) -> Answer {
        let app = self.0.clone();
        Box::pin(async move {
            let response = app
                .oneshot(request.map(axum::body::Body::from))
                .await
                .map_err(|e| e.to_string())?;
            let (parts, body) = response.into_parts();
            let body = axum::body::to_bytes(body, usize::MAX)
                .await
                .map_err(|e| format!("the emulator's answer broke off: {e}"))?;
            Ok(http::Response::from_parts(parts, body))
        })
    }
}

pub(crate) fn in_process(app: Router) -> InProcess {
    InProcess(Arc::new(Local(app)))
}
