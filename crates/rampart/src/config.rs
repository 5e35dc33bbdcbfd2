//! Configuration: defaults, then the TOML file, then command-line flags.

use clap::Args;
use figment::Figment;
use figment::providers::{Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Options of `rampart serve`. Each may also be set in the TOML file given with `--config`
/// (same names, with underscores: `data_dir`, `listen`, `http`, `region`, `tls_cert`,
/// `tls_key`, `max_body_bytes`, `max_buffered_body_bytes`, `max_connections`, `idle_timeout_secs`,
/// `log_format`, `pkcs11_module`, `store`, `store_ca_cert`, `master_key`); flags win over the file.
#[derive(Debug, Args, Default)]
pub struct ServeArgs {
    /// TOML configuration file.
    #[arg(long, short = 'c', env = "RAMPART_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Where Rampart keeps its state, keys, certificates and audit log [default: rampart-data].
    #[arg(long, env = "RAMPART_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Address and port to listen on [default: 127.0.0.1:4566].
    #[arg(long, env = "RAMPART_LISTEN", value_name = "ADDR:PORT")]
    pub listen: Option<SocketAddr>,
    /// Serve plain HTTP instead of TLS. For local development only: signatures are still
    /// checked, but credentials and data cross the network unencrypted.
    #[arg(long)]
    pub http: bool,
    /// The region reported for requests that do not name one [default: us-east-1].
    #[arg(long, env = "RAMPART_REGION", value_name = "REGION")]
    pub region: Option<String>,
    /// PEM certificate chain to serve instead of the generated one (needs --tls-key).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Largest query or JSON request body accepted, in bytes [default: 1048576].
    #[arg(long, value_name = "BYTES")]
    pub max_body_bytes: Option<usize>,
    /// Most memory all buffered request bodies may hold together, in bytes; a body that finds no
    /// room waits up to 5 s, then its call is refused as throttled [default: 67108864].
    #[arg(long, value_name = "BYTES")]
    pub max_buffered_body_bytes: Option<usize>,
    /// Most connections served at once; more wait in the accept queue [default: 4096, and at
    /// most three quarters of the process's open-file limit].
    #[arg(long, value_name = "N")]
    pub max_connections: Option<usize>,
    /// Seconds a connection may stay silent (no byte moving) with no request in flight: before
    /// its first request, between requests, in its TLS handshake or HTTP/2 preface [default: 20].
    #[arg(long, value_name = "SECONDS")]
    pub idle_timeout_secs: Option<u64>,
    /// Log format: `text` or `json` [default: text]. Verbosity comes from RUST_LOG.
    #[arg(long, value_name = "FORMAT")]
    pub log_format: Option<LogFormat>,
    /// PKCS#11 module (shared library) through which KMS custom key stores reach an HSM, e.g.
    /// /usr/lib/softhsm/libsofthsm2.so. Tokens are chosen per key store by CreateCustomKeyStore.
    #[arg(long, env = "RAMPART_PKCS11_MODULE", value_name = "FILE")]
    pub pkcs11_module: Option<PathBuf>,
    /// Where the state lives: `sqlite` (embedded, in DATA_DIR) [default], or a PostgreSQL
    /// database shared by several nodes: postgres://USER:PASSWORD@HOST:PORT/DATABASE, with
    /// ?sslmode=require for TLS (the server certificate is always verified when TLS is used).
    /// The database must exist; Rampart creates and migrates its tables.
    #[arg(long, env = "RAMPART_STORE", hide_env_values = true, value_name = "URL")]
    pub store: Option<String>,
    /// PEM CA certificate that signed the PostgreSQL server's certificate [default: the
    /// system's trusted roots].
    #[arg(long, env = "RAMPART_STORE_CA_CERT", value_name = "FILE")]
    pub store_ca_cert: Option<PathBuf>,
    /// The master key file that seals every secret and key in the store [default:
    /// DATA_DIR/master.key, created on first start]. Nodes sharing one database must all be
    /// given a copy of the same file; it never goes into the database.
    #[arg(long, env = "RAMPART_MASTER_KEY", value_name = "FILE")]
    pub master_key: Option<PathBuf>,
}

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The effective configuration of `rampart serve`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// State directory.
    pub data_dir: PathBuf,
    /// Listen address.
    pub listen: SocketAddr,
    /// Plain HTTP.
    pub http: bool,
    /// Default region.
    pub region: String,
    /// User-supplied certificate chain.
    pub tls_cert: Option<PathBuf>,
    /// User-supplied key.
    pub tls_key: Option<PathBuf>,
    /// Body limit for buffered protocols.
    pub max_body_bytes: usize,
    /// Memory cap of all buffered bodies together.
    pub max_buffered_body_bytes: usize,
    /// Connection cap (further capped by the open-file limit).
    pub max_connections: usize,
    /// Idle connection timeout, in seconds.
    pub idle_timeout_secs: u64,
    /// Log format.
    pub log_format: LogFormat,
    /// PKCS#11 module for HSM-backed KMS key stores.
    pub pkcs11_module: Option<PathBuf>,
    /// `sqlite` or a postgres:// URL.
    pub store: Option<String>,
    /// CA certificate of the PostgreSQL server.
    pub store_ca_cert: Option<PathBuf>,
    /// The master key file.
    pub master_key: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("rampart-data"),
            listen: "127.0.0.1:4566".parse().expect("valid default address"),
            http: false,
            region: "us-east-1".into(),
            tls_cert: None,
            tls_key: None,
            max_body_bytes: 1 << 20,
            max_buffered_body_bytes: 64 << 20,
            max_connections: 4096,
            idle_timeout_secs: 20,
            log_format: LogFormat::Text,
            pkcs11_module: None,
            store: None,
            store_ca_cert: None,
            master_key: None,
        }
    }
}

impl Config {
    /// Merges defaults, the config file and the flags.
    pub fn load(args: &ServeArgs) -> Result<Self, String> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = &args.config {
            if !path.exists() {
                return Err(format!("config file {} does not exist", path.display()));
            }
            fig = fig.merge(Toml::file(path));
        }
        let mut config: Config = fig.extract().map_err(|e| format!("invalid configuration: {e}"))?;
        if let Some(v) = &args.data_dir {
            config.data_dir = v.clone();
        }
        if let Some(v) = args.listen {
            config.listen = v;
        }
        if args.http {
            config.http = true;
        }
        if let Some(v) = &args.region {
            config.region = v.clone();
        }
        if args.tls_cert.is_some() {
            config.tls_cert = args.tls_cert.clone();
            config.tls_key = args.tls_key.clone();
        }
        if let Some(v) = args.max_body_bytes {
            config.max_body_bytes = v;
        }
        if let Some(v) = args.max_buffered_body_bytes {
            config.max_buffered_body_bytes = v;
        }
        if let Some(v) = args.max_connections {
            config.max_connections = v;
        }
        if let Some(v) = args.idle_timeout_secs {
            config.idle_timeout_secs = v;
        }
        if let Some(v) = args.log_format {
            config.log_format = v;
        }
        if args.pkcs11_module.is_some() {
            config.pkcs11_module = args.pkcs11_module.clone();
        }
        if args.store.is_some() {
            config.store = args.store.clone();
        }
        if args.store_ca_cert.is_some() {
            config.store_ca_cert = args.store_ca_cert.clone();
        }
        if args.master_key.is_some() {
            config.master_key = args.master_key.clone();
        }
        if config.tls_cert.is_some() != config.tls_key.is_some() {
            return Err("tls_cert and tls_key must be given together".into());
        }
        if config.max_body_bytes < 1024 {
            return Err("max_body_bytes must be at least 1024".into());
        }
        if config.max_buffered_body_bytes < config.max_body_bytes {
            return Err("max_buffered_body_bytes must be at least max_body_bytes".into());
        }
        if config.max_connections == 0 {
            return Err("max_connections must be at least 1".into());
        }
        if !(1..=3600).contains(&config.idle_timeout_secs) {
            return Err("idle_timeout_secs must be between 1 and 3600".into());
        }
        Ok(config)
    }

    /// The master key file.
    pub fn master_key_path(&self) -> PathBuf {
        self.master_key.clone().unwrap_or_else(|| self.data_dir.join("master.key"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_then_flags() {
        let dir = std::env::temp_dir().join(format!("rampart-config-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("rampart.toml");
        std::fs::write(&file, "listen = \"127.0.0.1:9000\"\nregion = \"eu-west-1\"\nhttp = true\n").unwrap();
        let args = ServeArgs { config: Some(file.clone()), region: Some("ap-south-1".into()), ..Default::default() };
        let c = Config::load(&args).unwrap();
        assert_eq!(c.listen.port(), 9000);
        assert!(c.http);
        assert_eq!(c.region, "ap-south-1");
        std::fs::write(&file, "lisen = \"127.0.0.1:9000\"\n").unwrap();
        assert!(Config::load(&args).unwrap_err().contains("lisen"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
