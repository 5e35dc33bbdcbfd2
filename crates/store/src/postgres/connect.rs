//! Reaching the database: parsed options, TLS, and the thread that drives every connection.
//!
//! Connections are driven by one small Tokio runtime on a thread of its own (`postgres-io`), so
//! the synchronous [`crate::Store`] interface can wait for a query from any thread, including a
//! Tokio worker of the server, without nesting runtimes: a caller sends its query to the
//! connection task and blocks until the answer comes back, just as it would block on SQLite I/O.

use crate::StoreError;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_postgres::tls::MakeTlsConnect;
use tokio_postgres::{Client, Config, Socket};
use tokio_postgres_rustls::MakeRustlsConnect;

/// How to reach the PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PostgresOptions {
    /// `postgres://USER[:PASSWORD]@HOST[:PORT]/DBNAME[?sslmode=disable|prefer|require]`.
    pub url: String,
    /// PEM file of the certificate authority that signed the database's certificate; without
    /// it the system's trusted roots are used. The certificate is always verified when TLS is on.
    pub ca_cert: Option<PathBuf>,
    /// This node's name, recorded with each audit event it writes.
    pub node: String,
}

/// Whether `url` names a PostgreSQL database.
pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// A database error as a store error, with PostgreSQL's own message and SQLSTATE.
pub(crate) fn backend(e: tokio_postgres::Error) -> StoreError {
    StoreError::Backend(explain(&e))
}

/// What went wrong, in PostgreSQL's words when it said something.
pub(crate) fn explain(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return format!("PostgreSQL: {} (SQLSTATE {})", db.message(), db.code().code());
    }
    let mut msg = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg.push_str(&format!(": {s}"));
        source = s.source();
    }
    msg
}

/// Connection parameters, TLS and the I/O thread, shared by every connection of one store.
pub(crate) struct Connector {
    config: Config,
    tls: MakeRustlsConnect,
    io: tokio::runtime::Handle,
    stop: Mutex<Option<tokio::sync::oneshot::Sender<()>>>,
}

impl Drop for Connector {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = stop.send(());
        }
    }
}

fn tls_config(ca_cert: Option<&PathBuf>) -> Result<rustls::ClientConfig, StoreError> {
    let mut roots = rustls::RootCertStore::empty();
    match ca_cert {
        Some(path) => {
            let certs =
                CertificateDer::pem_file_iter(path).and_then(|it| it.collect::<Result<Vec<_>, _>>()).map_err(|e| {
                    StoreError::Backend(format!("cannot read database CA certificate {}: {e}", path.display()))
                })?;
            if certs.is_empty() {
                return Err(StoreError::Backend(format!("{} holds no PEM certificate", path.display())));
            }
            for c in certs {
                roots.add(c).map_err(|e| StoreError::Backend(format!("bad CA certificate {}: {e}", path.display())))?;
            }
        }
        None => {
            for c in rustls_native_certs::load_native_certs().certs {
                let _ = roots.add(c);
            }
        }
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| StoreError::Backend(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

impl Connector {
    /// Parses `opts` and starts the I/O thread. Connects to nothing yet.
    pub(crate) fn new(opts: &PostgresOptions) -> Result<Arc<Self>, StoreError> {
        let mut config: Config = opts.url.parse().map_err(|e| {
            StoreError::Backend(format!("invalid PostgreSQL URL (postgres://USER:PASSWORD@HOST:PORT/DB): {e}"))
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        config.application_name("rampart");
        let tls = MakeRustlsConnect::new(tls_config(opts.ca_cert.as_ref())?);
        let (handle_tx, handle_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        std::thread::Builder::new()
            .name("postgres-io".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = handle_tx.send(Err(e.to_string()));
                        return;
                    }
                };
                let _ = handle_tx.send(Ok(rt.handle().clone()));
                rt.block_on(async {
                    let _ = stop_rx.await;
                });
            })
            .map_err(|e| StoreError::Backend(format!("cannot start the PostgreSQL I/O thread: {e}")))?;
        let io = handle_rx
            .recv()
            .map_err(|e| StoreError::Backend(e.to_string()))?
            .map_err(|e| StoreError::Backend(format!("cannot start the PostgreSQL I/O runtime: {e}")))?;
        Ok(Arc::new(Self { config, tls, io, stop: Mutex::new(Some(stop_tx)) }))
    }

    /// Runs `fut` on the I/O runtime and waits for its result (from any thread).
    pub(crate) fn run<T: Send + 'static>(
        &self,
        fut: impl Future<Output = T> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.io.spawn(async move {
            let _ = tx.send(fut.await);
        });
        rx.recv().map_err(|_| StoreError::Backend("the PostgreSQL I/O thread has stopped".into()))
    }

    /// Spawns `fut` on the I/O runtime.
    pub(crate) fn spawn(&self, fut: impl Future<Output = ()> + Send + 'static) {
        self.io.spawn(fut);
    }

    /// Opens a connection whose protocol is driven on the I/O thread.
    pub(crate) fn connect(self: &Arc<Self>) -> Result<Client, StoreError> {
        let this = Arc::clone(self);
        self.run(async move {
            let (client, connection) = this.config.connect(this.tls.clone()).await.map_err(describe)?;
            tokio::spawn(async move {
                if let Err(e) = connection.await {
                    tracing::warn!(error = %e, "PostgreSQL connection closed");
                }
            });
            Ok(client)
        })?
    }

    /// Opens a connection whose messages (notifications among them) the caller drives itself.
    pub(crate) async fn connect_raw(&self) -> Result<(Client, RawConnection), StoreError> {
        self.config.connect(self.tls.clone()).await.map_err(describe)
    }
}

/// The protocol half of a connection opened by [`Connector::connect_raw`].
pub(crate) type RawConnection =
    tokio_postgres::Connection<Socket, <MakeRustlsConnect as MakeTlsConnect<Socket>>::Stream>;

/// A connection error with its cause (tokio-postgres puts the useful part in the source).
fn describe(e: tokio_postgres::Error) -> StoreError {
    StoreError::Backend(format!("cannot connect to PostgreSQL: {}", explain(&e)))
}

/// Waits for a query future on the calling thread.
///
/// On a worker thread of a multi-threaded Tokio runtime (a server's request handler), the
/// runtime is first told the thread is about to block, so the worker's other tasks move to
/// another thread for the duration of the round trip instead of waiting behind it.
pub(crate) fn wait<T>(fut: impl Future<Output = T>) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(|| futures_executor::block_on(fut))
        }
        _ => futures_executor::block_on(fut),
    }
}
