//! `rampart serve`: open the state, bootstrap the root account, assemble the pipeline, listen.

use crate::config::{Config, LogFormat};
use crate::credentials_file::{ServerInfo, write_credentials, write_server_info};
use crate::state::{self, State, StoreLocation};
use crate::tls::{TlsPaths, ensure_generated, server_config};
use rampart_core::clock::{Clock, SystemClock};
use rampart_core::ids::AccountId;
use rampart_iam::{BootstrapOptions, Iam, IamAuthorizer, bootstrap};
use rampart_kms::{Kms, KmsConfig};
use rampart_server::{ConnectionLimits, ListenerConfig, Pipeline, PipelineConfig, serve};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;
use std::time::Duration;
use zeroize::Zeroizing;

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

fn env_root_key() -> Result<Option<(String, Zeroizing<String>)>, String> {
    let id = std::env::var("RAMPART_ROOT_ACCESS_KEY_ID").ok().filter(|s| !s.is_empty());
    let secret = std::env::var("RAMPART_ROOT_SECRET_ACCESS_KEY").ok().filter(|s| !s.is_empty()).map(Zeroizing::new);
    match (id, secret) {
        (Some(i), Some(s)) => Ok(Some((i, s))),
        (None, None) => Ok(None),
        _ => Err("set both RAMPART_ROOT_ACCESS_KEY_ID and RAMPART_ROOT_SECRET_ACCESS_KEY, or neither".into()),
    }
}

/// Runs the server until SIGINT or SIGTERM.
pub fn run(config: Config) -> Result<(), String> {
    init_logging(config.log_format);
    let data_dir = &config.data_dir;
    fs::create_dir_all(data_dir).map_err(|e| format!("cannot create data directory {}: {e}", data_dir.display()))?;
    fs::set_permissions(data_dir, fs::Permissions::from_mode(0o700))
        .map_err(|e| format!("cannot restrict data directory {}: {e}", data_dir.display()))?;

    let location = StoreLocation::parse(
        config.store.as_deref(),
        config.store_ca_cert.as_deref(),
        data_dir,
        &node_name(config.listen),
    )?;
    let State { store, audit, keystore } = state::open(&location, &config.master_key_path(), true)?;
    tracing::info!(store = %location.describe(), "state opened");

    let account_id = match std::env::var("RAMPART_ACCOUNT_ID").ok().filter(|s| !s.is_empty()) {
        Some(a) => Some(AccountId::parse(&a).map_err(|e| format!("RAMPART_ACCOUNT_ID: {e}"))?),
        None => None,
    };
    let root = bootstrap(store.as_ref(), keystore.as_ref(), BootstrapOptions { account_id, root_key: env_root_key()? })
        .map_err(|e| e.message().to_owned())?;
    if let Some(secret) = &root.new_secret {
        write_credentials(data_dir, &root.access_key_id, secret, &config.region)?;
        tracing::info!(path = %data_dir.join("credentials").display(), access_key_id = %root.access_key_id, "wrote root credentials");
    }

    let tls = if config.http {
        tracing::warn!("serving plain HTTP: for local development only");
        None
    } else if let (Some(cert), Some(key)) = (&config.tls_cert, &config.tls_key) {
        Some(server_config(cert, key)?)
    } else {
        let paths = TlsPaths::new(data_dir);
        ensure_generated(&paths, config.listen)?;
        Some(server_config(&paths.ca_cert.with_file_name("server.pem"), &paths.ca_cert.with_file_name("server.key"))?)
    };

    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let kms = Kms::new(
        Arc::clone(&store),
        Arc::clone(&keystore),
        Arc::clone(&clock),
        KmsConfig { region: config.region.clone(), pkcs11_module: config.pkcs11_module.clone() },
    )?;
    let iam = Iam::new(Arc::clone(&store), Arc::clone(&keystore), Arc::clone(&clock));
    let pipeline = Arc::new(Pipeline::new(
        vec![rampart_iam::sts::service(&iam), rampart_iam::iam_service(&iam), kms.service()],
        iam.credentials(),
        Arc::new(IamAuthorizer::new(Arc::clone(&iam))),
        audit,
        clock,
        PipelineConfig {
            default_region: config.region.clone(),
            max_body_bytes: config.max_body_bytes,
            max_buffered_body_bytes: config.max_buffered_body_bytes,
        },
    ));

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("rampart")
        .build()
        .map_err(|e| format!("cannot start runtime: {e}"))?;
    runtime.block_on(async move {
        // Key deletions, expiries of imported material and automatic rotations, on schedule.
        kms.spawn_maintenance();
        // Access keys' last uses, written where every node reads them.
        iam.spawn_maintenance();
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
        let local = listener.local_addr().map_err(|e| e.to_string())?;
        let host = if local.ip().is_unspecified() { "127.0.0.1".to_owned() } else { local.ip().to_string() };
        let host = if local.is_ipv6() { format!("[{host}]") } else { host };
        let scheme = if tls.is_some() { "https" } else { "http" };
        let endpoint_url = format!("{scheme}://{host}:{}", local.port());
        let ca_bundle = (tls.is_some() && config.tls_cert.is_none()).then(|| TlsPaths::new(data_dir).ca_cert);
        write_server_info(data_dir, &ServerInfo { endpoint_url: endpoint_url.clone(), ca_bundle, region: config.region.clone() })?;
        tracing::info!(endpoint = %endpoint_url, account_id = %root.account_id, data_dir = %data_dir.display(), "rampart is ready");
        let limits = ConnectionLimits {
            idle_timeout: Duration::from_secs(config.idle_timeout_secs),
            max_connections: connection_cap(config.max_connections),
            ..ConnectionLimits::default()
        };
        tracing::info!(
            max_connections = limits.max_connections,
            idle_timeout_secs = config.idle_timeout_secs,
            max_buffered_body_bytes = config.max_buffered_body_bytes,
            "connection limits"
        );
        let listener_config = ListenerConfig { tls, limits, drain_timeout: Duration::from_secs(10) };
        serve(listener, pipeline, listener_config, shutdown_signal()).await;
        // The uses seen since the last flush, before the process goes.
        iam.flush_last_used().await;
        Ok::<(), String>(())
    })?;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).expect("install SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

/// The connection cap: the configured one, but never above three quarters of the open-file
/// limit (raised to its hard maximum first), so that connections can never take the files the
/// store and the audit log need.
fn connection_cap(configured: usize) -> usize {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let mut limit = getrlimit(Resource::Nofile);
    if let (Some(cur), Some(max)) = (limit.current, limit.maximum)
        && cur < max
    {
        limit.current = Some(max);
        if let Err(e) = setrlimit(Resource::Nofile, limit) {
            tracing::debug!(error = %e, "cannot raise the open-file limit");
        }
    }
    let files = getrlimit(Resource::Nofile).current.unwrap_or(u64::MAX);
    let cap = usize::try_from(files / 4 * 3).unwrap_or(usize::MAX).max(16);
    if configured > cap {
        tracing::warn!(configured, cap, open_file_limit = files, "max_connections lowered below the open-file limit");
    }
    configured.min(cap)
}

/// This node's name in the audit trail of a shared store: host name and port.
fn node_name(listen: std::net::SocketAddr) -> String {
    let host = fs::read_to_string("/proc/sys/kernel/hostname").map(|h| h.trim().to_owned()).unwrap_or_default();
    format!("{}:{}", if host.is_empty() { "localhost" } else { &host }, listen.port())
}

/// `rampart account create`: a new account with a root key, printed as JSON.
pub fn create_account(
    location: &StoreLocation,
    master_key: &std::path::Path,
    account_id: Option<&str>,
) -> Result<(), String> {
    if let StoreLocation::Embedded(data_dir) = location
        && !data_dir.join("state.db").exists()
    {
        return Err(format!("{} is not a Rampart data directory (run `rampart serve` once)", data_dir.display()));
    }
    if !master_key.exists() {
        return Err(format!("no master key at {}: give the one the server uses (--master-key)", master_key.display()));
    }
    let State { store, keystore, .. } = state::open(location, master_key, false)?;
    let account_id = account_id.map(AccountId::parse).transpose()?;
    let acct = rampart_iam::accounts::create_account(store.as_ref(), keystore.as_ref(), account_id)
        .map_err(|e| e.message().to_owned())?;
    let secret = acct.new_secret.as_deref().map(String::as_str).unwrap_or_default();
    println!(
        "{}",
        serde_json::json!({"AccountId": acct.account_id.as_str(), "AccessKeyId": acct.access_key_id, "SecretAccessKey": secret})
    );
    Ok(())
}
