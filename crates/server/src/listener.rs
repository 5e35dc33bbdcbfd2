//! The listener: TCP (plain or TLS), HTTP/1.1 and HTTP/2, connection limits, graceful shutdown.
//!
//! Two rules keep a hostile client from holding what it should not:
//! - **A connection is closed when it stops making progress.** Every connection is watched: with
//!   no request being processed, it is closed once no byte has moved for
//!   [`ConnectionLimits::idle_timeout`] (before its first request, between requests, during an
//!   unfinished TLS handshake or HTTP/2 preface); with a request in flight, once nothing has moved
//!   for [`ConnectionLimits::stall_timeout`]. Slow bodies are the pipeline's to cut off.
//! - **At most [`ConnectionLimits::max_connections`] connections at once**, below the process's
//!   file limit; further clients wait in the kernel's accept queue.
//!
//! A request, once received, is processed in a task of its own that the connection does not own:
//! a client that resets or closes its connection can no longer cancel a call between the moment
//! its change commits and the moment its audit record is durable (see `docs/architecture.md`).

use crate::pipeline::{Peer, Pipeline};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use rampart_wire::protocol::ResponseBody;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::{Notify, Semaphore, watch};
use tokio_rustls::TlsAcceptor;

/// How the listener serves connections.
pub struct ListenerConfig {
    /// TLS settings; `None` serves plain HTTP (local development only).
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Timeouts and caps that bound what one client can hold.
    pub limits: ConnectionLimits,
    /// How long in-flight requests may take to finish at shutdown.
    pub drain_timeout: Duration,
}

/// Timeouts and caps of the listener.
#[derive(Debug, Clone)]
pub struct ConnectionLimits {
    /// A connection with no request being processed is closed after this long without a byte
    /// read or written: idle before its first request or between requests, or stuck in its TLS
    /// handshake or HTTP/2 preface.
    pub idle_timeout: Duration,
    /// The TLS handshake must complete within this.
    pub handshake_timeout: Duration,
    /// An HTTP/1.1 request's headers must arrive within this once it has begun.
    pub header_timeout: Duration,
    /// A connection with a request in flight is closed after this long without a byte read or
    /// written (the request itself still runs to its audit record).
    pub stall_timeout: Duration,
    /// At most this many connections are served at once.
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            idle_timeout: Duration::from_secs(20),
            handshake_timeout: Duration::from_secs(10),
            header_timeout: Duration::from_secs(10),
            stall_timeout: Duration::from_secs(60),
            max_connections: 4096,
        }
    }
}

/// The largest request head (request line and headers) accepted, and so the largest read buffer
/// an HTTP/1.1 connection holds (hyper's default is about 400 KiB): a larger head is refused with
/// 431 before it reaches the pipeline.
const MAX_HEAD_BYTES: usize = 128 * 1024;

/// How long a connection told to close (idle, or at shutdown) may take to finish before it is
/// dropped.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// The number of tasks still running, and a way to wait until there are none.
#[derive(Default)]
struct TaskCount {
    running: AtomicUsize,
    idle: Notify,
}

/// Held while a counted task runs.
struct TaskGuard(Arc<TaskCount>);

impl TaskCount {
    fn enter(self: &Arc<Self>) -> TaskGuard {
        self.running.fetch_add(1, Ordering::AcqRel);
        TaskGuard(Arc::clone(self))
    }

    async fn wait_idle(&self) {
        loop {
            let idle = self.idle.notified();
            if self.running.load(Ordering::Acquire) == 0 {
                return;
            }
            idle.await;
        }
    }
}

impl Drop for TaskGuard {
    fn drop(&mut self) {
        if self.0.running.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

/// What a connection's watchdog knows: a count of the times bytes moved (no clock on the hot
/// path: the watchdog notices when the count stops changing), and how many requests are in
/// flight.
struct Activity {
    progress: AtomicU64,
    in_flight: AtomicUsize,
}

impl Activity {
    fn new() -> Self {
        Self { progress: AtomicU64::new(0), in_flight: AtomicUsize::new(0) }
    }

    fn progressed(&self) {
        self.progress.fetch_add(1, Ordering::Relaxed);
    }
}

/// Marks a request in flight on its connection while it lives.
struct InFlight(Arc<Activity>);

impl InFlight {
    fn new(activity: &Arc<Activity>) -> Self {
        activity.in_flight.fetch_add(1, Ordering::Relaxed);
        activity.progressed();
        Self(Arc::clone(activity))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
        self.0.progressed();
    }
}

/// A connection's stream, noting every byte that moves.
struct Watched<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.progressed();
        }
        result
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.progressed();
        }
        result
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.progressed();
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Accepts connections on `listener` and serves them through `pipeline` until `shutdown`
/// resolves; then stops accepting, lets connections finish their requests, and waits for every
/// request's processing to reach its audit record.
pub async fn serve(
    listener: TcpListener,
    pipeline: Arc<Pipeline>,
    config: ListenerConfig,
    shutdown: impl Future<Output = ()>,
) {
    let acceptor = config.tls.clone().map(TlsAcceptor::from);
    let limits = Arc::new(config.limits.clone());
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true)
        .max_buf_size(MAX_HEAD_BYTES);
    builder.http2().timer(TokioTimer::new()).max_header_list_size(MAX_HEAD_BYTES as u32);
    let builder = Arc::new(builder);
    let connections = Arc::new(TaskCount::default());
    let calls = Arc::new(TaskCount::default());
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut last_full_warning: Option<Instant> = None;
    tokio::pin!(shutdown);
    loop {
        let slot = match Arc::clone(&slots).try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) => {
                if last_full_warning.is_none_or(|t| t.elapsed() > Duration::from_secs(60)) {
                    tracing::warn!(
                        max_connections = limits.max_connections,
                        "connection limit reached: new connections wait until one closes (--max-connections)"
                    );
                    last_full_warning = Some(Instant::now());
                }
                tokio::select! {
                    slot = Arc::clone(&slots).acquire_owned() => match slot {
                        Ok(slot) => slot,
                        Err(_) => break,
                    },
                    () = &mut shutdown => break,
                }
            }
        };
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
        let conn = Conn {
            pipeline: Arc::clone(&pipeline),
            builder: Arc::clone(&builder),
            limits: Arc::clone(&limits),
            calls: Arc::clone(&calls),
            stop: stop_rx.clone(),
            peer: Peer { addr, secure: acceptor.is_some() },
        };
        let acceptor = acceptor.clone();
        let guard = connections.enter();
        tokio::spawn(async move {
            let _slot = slot;
            let _guard = guard;
            conn.run(stream, acceptor).await;
        });
    }
    drop(listener);
    tracing::info!("shutting down: draining in-flight requests");
    let _ = stop_tx.send(true);
    if tokio::time::timeout(config.drain_timeout, connections.wait_idle()).await.is_err() {
        tracing::warn!("some connections did not finish within the drain timeout");
    }
    // Calls whose clients are gone still run to their audit record; the process waits for them.
    if tokio::time::timeout(config.drain_timeout + Duration::from_secs(30), calls.wait_idle()).await.is_err() {
        tracing::error!("some calls did not reach their audit record before shutdown");
    }
}

/// One accepted connection and what serving it needs.
struct Conn {
    pipeline: Arc<Pipeline>,
    builder: Arc<auto::Builder<TokioExecutor>>,
    limits: Arc<ConnectionLimits>,
    calls: Arc<TaskCount>,
    stop: watch::Receiver<bool>,
    peer: Peer,
}

impl Conn {
    async fn run(self, stream: tokio::net::TcpStream, acceptor: Option<TlsAcceptor>) {
        let activity = Arc::new(Activity::new());
        let stream = Watched { inner: stream, activity: Arc::clone(&activity) };
        let addr = self.peer.addr;
        match acceptor {
            Some(acceptor) => {
                match tokio::time::timeout(self.limits.handshake_timeout, acceptor.accept(stream)).await {
                    Ok(Ok(tls)) => self.serve(tls, activity).await,
                    Ok(Err(e)) => tracing::debug!(%addr, error = %e, "TLS handshake failed"),
                    Err(_) => tracing::debug!(%addr, "TLS handshake timed out"),
                }
            }
            None => self.serve(stream, activity).await,
        }
    }

    async fn serve<S>(self, stream: S, activity: Arc<Activity>)
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let Self { pipeline, builder, limits, calls, mut stop, peer } = self;
        let svc_activity = Arc::clone(&activity);
        let svc = service_fn(move |req| {
            let in_flight = InFlight::new(&svc_activity);
            let pipeline = Arc::clone(&pipeline);
            let call = calls.enter();
            // The call runs in a task of its own: if the connection goes away, the task still
            // runs to its audit record.
            let task = tokio::spawn(async move {
                let _call = call;
                pipeline.handle(req, peer).await
            });
            async move {
                let _in_flight = in_flight;
                Ok::<_, std::convert::Infallible>(match task.await {
                    Ok(response) => response,
                    Err(e) => {
                        tracing::error!(addr = %peer.addr, error = %e, "request task failed");
                        internal_error()
                    }
                })
            }
        });
        let conn = builder.serve_connection(TokioIo::new(stream), svc);
        tokio::pin!(conn);
        let mut closing_since: Option<Instant> = None;
        let tick = Duration::from_secs(1).min(limits.idle_timeout);
        // The progress count last seen, and since when it has not moved.
        let (mut seen, mut quiet_since) = (activity.progress.load(Ordering::Relaxed), Instant::now());
        loop {
            tokio::select! {
                result = conn.as_mut() => {
                    if let Err(e) = result {
                        tracing::debug!(addr = %peer.addr, error = %e, "connection closed with error");
                    }
                    return;
                }
                changed = stop.changed(), if closing_since.is_none() => {
                    if changed.is_err() || *stop.borrow() {
                        conn.as_mut().graceful_shutdown();
                        closing_since = Some(Instant::now());
                    }
                }
                () = tokio::time::sleep(tick) => {
                    if let Some(since) = closing_since {
                        if since.elapsed() >= CLOSE_GRACE && activity.in_flight.load(Ordering::Relaxed) == 0 {
                            return;
                        }
                        continue;
                    }
                    let now = activity.progress.load(Ordering::Relaxed);
                    if now != seen {
                        (seen, quiet_since) = (now, Instant::now());
                    }
                    let quiet = quiet_since.elapsed();
                    let busy = activity.in_flight.load(Ordering::Relaxed) > 0;
                    if (!busy && quiet >= limits.idle_timeout) || (busy && quiet >= limits.stall_timeout) {
                        tracing::debug!(addr = %peer.addr, busy, quiet_ms = quiet.as_millis() as u64, "closing a connection that made no progress");
                        if busy {
                            return;
                        }
                        conn.as_mut().graceful_shutdown();
                        closing_since = Some(Instant::now());
                    }
                }
            }
        }
    }
}

/// The answer when a request's task itself failed (a bug): never a hang or a reset.
fn internal_error() -> http::Response<ResponseBody> {
    let mut resp = http::Response::new(rampart_wire::protocol::full_body(""));
    *resp.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
    resp
}
