//! Command-line interface.

use crate::config::{Config, ServeArgs};
use crate::state::StoreLocation;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Rampart: AWS-compatible IAM, STS, KMS and audit that really enforce what they promise.
///
/// Every call is authenticated with SigV4, authorized by AWS policy-evaluation rules, and
/// recorded in a durable audit log before it is answered. Point the `aws` CLI, boto3 or any
/// AWS SDK at it with `eval "$(rampart env)"`.
#[derive(Debug, Parser)]
#[command(name = "rampart", version, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server: every service on one port, TLS by default.
    ///
    /// On first start it creates DATA_DIR with the state store, the master key (mode 0600),
    /// a CA and server certificate under DATA_DIR/tls/, and the root account's credentials in
    /// DATA_DIR/credentials (profile `rampart`, mode 0600).
    Serve(ServeArgs),
    /// Print shell exports that point AWS clients at a Rampart data directory.
    ///
    /// Use as: eval "$(rampart env)". Sets AWS_ENDPOINT_URL, AWS_CA_BUNDLE (TLS only),
    /// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_DEFAULT_REGION from the running (or last
    /// run) server in that directory.
    Env(EnvArgs),
    /// Read the audit log (one CloudTrail event per call) of a data directory or database.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Manage the accounts of a data directory or database (works while the server runs).
    #[command(subcommand)]
    Account(AccountCommand),
    /// Manage the state store.
    #[command(subcommand)]
    Store(StoreCommand),
}

/// Which store a command works on.
#[derive(Debug, Args)]
struct StoreArgs {
    /// The data directory of the server (its embedded store, and default master key).
    #[arg(long, env = "RAMPART_DATA_DIR", default_value = "rampart-data", value_name = "DIR")]
    data_dir: PathBuf,
    /// A PostgreSQL store instead of the data directory's: postgres://USER:PASSWORD@HOST:PORT/DB.
    #[arg(long, env = "RAMPART_STORE", hide_env_values = true, value_name = "URL")]
    store: Option<String>,
    /// PEM CA certificate of the PostgreSQL server [default: the system's trusted roots].
    #[arg(long, env = "RAMPART_STORE_CA_CERT", value_name = "FILE")]
    store_ca_cert: Option<PathBuf>,
}

impl StoreArgs {
    fn location(&self) -> Result<StoreLocation, String> {
        StoreLocation::parse(self.store.as_deref(), self.store_ca_cert.as_deref(), &self.data_dir, "cli")
    }
}

#[derive(Debug, Subcommand)]
enum StoreCommand {
    /// Copy a data directory's embedded store and audit log into a PostgreSQL database.
    ///
    /// Stop the server first. The copy is committed in batches with its position, so an
    /// interrupted run resumes where it stopped when run again; at the end every row is compared
    /// on both sides and the command fails unless all match. Secrets stay sealed under the
    /// master key, which is not copied: start the PostgreSQL nodes with
    /// --master-key DIR/master.key (or a copy of it).
    Migrate {
        /// The data directory to copy from.
        #[arg(long, value_name = "DIR")]
        from: PathBuf,
        /// The PostgreSQL database to copy into (it must exist; empty, or partly migrated from
        /// the same directory): postgres://USER:PASSWORD@HOST:PORT/DB.
        #[arg(long, value_name = "URL")]
        to: String,
        /// PEM CA certificate of the PostgreSQL server [default: the system's trusted roots].
        #[arg(long, env = "RAMPART_STORE_CA_CERT", value_name = "FILE")]
        store_ca_cert: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum AccountCommand {
    /// Create another account and print its id and root access key as JSON (the only time the
    /// secret is shown). Use it to test cross-account access.
    Create {
        #[command(flatten)]
        store: StoreArgs,
        /// The master key file the server uses [default: DATA_DIR/master.key].
        #[arg(long, env = "RAMPART_MASTER_KEY", value_name = "FILE")]
        master_key: Option<PathBuf>,
        /// The 12-digit id to give the account (random when absent).
        #[arg(long, value_name = "ID")]
        account_id: Option<String>,
    },
}

/// Options of `rampart env`.
#[derive(Debug, Args)]
pub struct EnvArgs {
    /// The data directory of the server.
    #[arg(long, env = "RAMPART_DATA_DIR", default_value = "rampart-data", value_name = "DIR")]
    pub data_dir: PathBuf,
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Print audit events as JSON lines, oldest first.
    LookupEvents {
        #[command(flatten)]
        store: StoreArgs,
        /// Print only events after this sequence number.
        #[arg(long, default_value_t = 0)]
        after: u64,
        /// Print at most this many events.
        #[arg(long, default_value_t = 1000)]
        max_results: usize,
    },
}

impl Cli {
    /// Runs the chosen command.
    pub fn run(self) -> Result<(), String> {
        match self.command {
            Command::Serve(args) => {
                let config = Config::load(&args)?;
                crate::serve::run(config)
            }
            Command::Env(args) => crate::credentials_file::print_env(&args.data_dir),
            Command::Account(AccountCommand::Create { store, master_key, account_id }) => {
                let master_key = master_key.unwrap_or_else(|| store.data_dir.join("master.key"));
                crate::serve::create_account(&store.location()?, &master_key, account_id.as_deref())
            }
            Command::Audit(AuditCommand::LookupEvents { store, after, max_results }) => {
                let events = match store.location()? {
                    StoreLocation::Embedded(data_dir) => {
                        let path = data_dir.join("audit.db");
                        if !path.exists() {
                            return Err(format!(
                                "no audit log at {}; is `{}` a Rampart data directory?",
                                path.display(),
                                data_dir.display()
                            ));
                        }
                        rampart_store::SqliteAuditLog::read(&path, after, max_results)
                    }
                    StoreLocation::Postgres(opts) => {
                        rampart_store::PostgresAuditLog::read_from(&opts, after, max_results)
                    }
                }
                .map_err(|e| e.to_string())?;
                for e in events {
                    println!("{}", e.body);
                }
                Ok(())
            }
            Command::Store(StoreCommand::Migrate { from, to, store_ca_cert }) => {
                crate::migrate::run(&from, &to, store_ca_cert.as_deref())
            }
        }
    }
}
