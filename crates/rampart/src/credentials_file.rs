//! The files a data directory offers its users: `credentials` (the root key, AWS format, 0600)
//! and `server.json` (where the server listens), and `rampart env` that reads them.

use serde::{Deserialize, Serialize};
use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// The profile name in `DATA_DIR/credentials`.
pub const PROFILE: &str = "rampart";

/// What a running server tells clients about itself.
#[derive(Debug, Serialize, Deserialize)]
pub struct ServerInfo {
    /// The endpoint URL (`AWS_ENDPOINT_URL`).
    pub endpoint_url: String,
    /// The CA to trust, when TLS uses the generated certificate.
    pub ca_bundle: Option<PathBuf>,
    /// The default region.
    pub region: String,
}

/// Writes the root credentials as an AWS shared-credentials file, mode 0600.
pub fn write_credentials(data_dir: &Path, access_key_id: &str, secret: &str, region: &str) -> Result<(), String> {
    let path = data_dir.join("credentials");
    let tmp = data_dir.join(".credentials.tmp");
    let _ = fs::remove_file(&tmp);
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    let body = format!(
        "# Root credentials of this Rampart account. Keep this file private.\n[{PROFILE}]\naws_access_key_id = {access_key_id}\naws_secret_access_key = {secret}\nregion = {region}\n"
    );
    f.write_all(body.as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    fs::rename(&tmp, &path).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Writes `server.json`.
pub fn write_server_info(data_dir: &Path, info: &ServerInfo) -> Result<(), String> {
    let path = data_dir.join("server.json");
    fs::write(&path, serde_json::to_vec_pretty(info).expect("plain data"))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn read_credentials(path: &Path) -> Result<(String, String), String> {
    let text = fs::read_to_string(path).map_err(|e| {
        format!(
            "cannot read {}: {e}. The node that creates the account writes it on its first start \
             (`rampart serve --data-dir {}`); a node that joined a shared store later has none: \
             copy it from the first node's data directory.",
            path.display(),
            path.parent().unwrap_or(path).display()
        )
    })?;
    let (mut id, mut secret, mut in_profile) = (None, None, false);
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_profile = line == format!("[{PROFILE}]");
            continue;
        }
        if !in_profile {
            continue;
        }
        if let Some((k, v)) = line.split_once('=') {
            match k.trim() {
                "aws_access_key_id" => id = Some(v.trim().to_owned()),
                "aws_secret_access_key" => secret = Some(v.trim().to_owned()),
                _ => {}
            }
        }
    }
    match (id, secret) {
        (Some(i), Some(s)) => Ok((i, s)),
        _ => Err(format!("{} has no [{PROFILE}] profile with both keys", path.display())),
    }
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// Prints the `export` lines of `rampart env`.
pub fn print_env(data_dir: &Path) -> Result<(), String> {
    let (id, secret) = read_credentials(&data_dir.join("credentials"))?;
    let info_path = data_dir.join("server.json");
    let info: ServerInfo = match fs::read(&info_path) {
        Ok(bytes) => {
            serde_json::from_slice(&bytes).map_err(|e| format!("{} is not valid: {e}", info_path.display()))?
        }
        Err(_) => ServerInfo {
            endpoint_url: "https://127.0.0.1:4566".into(),
            ca_bundle: Some(data_dir.join("tls").join("ca.pem")),
            region: "us-east-1".into(),
        },
    };
    let mut out = String::new();
    out.push_str(&format!("export AWS_ENDPOINT_URL={}\n", shell_quote(&info.endpoint_url)));
    match &info.ca_bundle {
        Some(ca) => {
            let ca = fs::canonicalize(ca).unwrap_or_else(|_| ca.clone());
            out.push_str(&format!("export AWS_CA_BUNDLE={}\n", shell_quote(&ca.to_string_lossy())));
        }
        None => out.push_str("unset AWS_CA_BUNDLE\n"),
    }
    out.push_str(&format!("export AWS_ACCESS_KEY_ID={}\n", shell_quote(&id)));
    out.push_str(&format!("export AWS_SECRET_ACCESS_KEY={}\n", shell_quote(&secret)));
    out.push_str(&format!("export AWS_DEFAULT_REGION={}\n", shell_quote(&info.region)));
    out.push_str(&format!("export AWS_REGION={}\n", shell_quote(&info.region)));
    out.push_str("unset AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_PROFILE\n");
    print!("{out}");
    Ok(())
}
