//! The listener: TCP (plain or TLS), HTTP/1.1 and HTTP/2, graceful shutdown.

use crate::pipeline::{Peer, Pipeline};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// How the listener serves connections.
pub struct ListenerConfig {
    /// TLS settings; `None` serves plain HTTP (local development only).
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// How long a client may take to send request headers.
    pub header_timeout: Duration,
    /// How long in-flight requests may take to finish at shutdown.
    pub drain_timeout: Duration,
}

/// Accepts connections on `listener` and serves them through `pipeline` until `shutdown`
/// resolves; then stops accepting and lets in-flight requests finish.
pub async fn serve(
    listener: TcpListener,
    pipeline: Arc<Pipeline>,
    config: ListenerConfig,
    shutdown: impl Future<Output = ()>,
) {
    let acceptor = config.tls.clone().map(TlsAcceptor::from);
    let graceful = GracefulShutdown::new();
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(config.header_timeout).keep_alive(true);
    builder.http2().timer(TokioTimer::new());
    let builder = Arc::new(builder);
    tokio::pin!(shutdown);
    loop {
        let (stream, addr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Usually EMFILE: back off briefly rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let pipeline = Arc::clone(&pipeline);
        let builder = Arc::clone(&builder);
        let watcher = graceful.watcher();
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let peer = Peer { addr, secure: acceptor.is_some() };
            let svc = service_fn(move |req| {
                let pipeline = Arc::clone(&pipeline);
                async move { Ok::<_, std::convert::Infallible>(pipeline.handle(req, peer).await) }
            });
            let result = match acceptor {
                Some(acceptor) => match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream)).await {
                    Ok(Ok(tls)) => watcher.watch(builder.serve_connection(TokioIo::new(tls), svc).into_owned()).await,
                    Ok(Err(e)) => {
                        tracing::debug!(%addr, error = %e, "TLS handshake failed");
                        return;
                    }
                    Err(_) => {
                        tracing::debug!(%addr, "TLS handshake timed out");
                        return;
                    }
                },
                None => watcher.watch(builder.serve_connection(TokioIo::new(stream), svc).into_owned()).await,
            };
            if let Err(e) = result {
                tracing::debug!(%addr, error = %e, "connection closed with error");
            }
        });
    }
    drop(listener);
    tracing::info!("shutting down: draining in-flight requests");
    if tokio::time::timeout(config.drain_timeout, graceful.shutdown()).await.is_err() {
        tracing::warn!("some connections did not finish within the drain timeout");
    }
}
