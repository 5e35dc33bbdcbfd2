//! TLS: a local CA and server certificate made on first start, or the user's own.

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::fs;
use std::io::Write;
use std::net::SocketAddr;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

/// Paths of the generated TLS material inside the data directory.
pub struct TlsPaths {
    /// The CA certificate clients trust (`AWS_CA_BUNDLE`).
    pub ca_cert: PathBuf,
    ca_key: PathBuf,
    server_cert: PathBuf,
    server_key: PathBuf,
}

impl TlsPaths {
    /// The layout under `data_dir/tls/`.
    pub fn new(data_dir: &Path) -> Self {
        let dir = data_dir.join("tls");
        Self {
            ca_cert: dir.join("ca.pem"),
            ca_key: dir.join("ca.key"),
            server_cert: dir.join("server.pem"),
            server_key: dir.join("server.key"),
        }
    }
}

fn write_private(path: &Path, contents: &str) -> Result<(), String> {
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    f.write_all(contents.as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Makes sure the CA and a server certificate for `listen` exist, creating what is missing.
pub fn ensure_generated(paths: &TlsPaths, listen: SocketAddr) -> Result<(), String> {
    let dir = paths.ca_cert.parent().expect("tls dir");
    fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let rc = |e: rcgen::Error| format!("cannot generate TLS certificate: {e}");
    let (ca_params, ca_key) = if paths.ca_cert.exists() && paths.ca_key.exists() {
        if paths.server_cert.exists() && paths.server_key.exists() {
            return Ok(());
        }
        return Err(format!(
            "{} is missing but the CA in {} exists; restore the server certificate and key, or remove the tls directory to create a new CA (clients must then trust the new ca.pem)",
            paths.server_cert.display(),
            paths.ca_cert.display()
        ));
    } else {
        let key = KeyPair::generate().map_err(rc)?;
        let mut params = CertificateParams::new(Vec::<String>::new()).map_err(rc)?;
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages =
            vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
        params.distinguished_name.push(DnType::CommonName, "Rampart local CA");
        params.distinguished_name.push(DnType::OrganizationName, "Rampart");
        let now = OffsetDateTime::now_utc();
        params.not_before = now - Duration::days(1);
        params.not_after = now + Duration::days(3650);
        (params, key)
    };
    let ca_cert = ca_params.self_signed(&ca_key).map_err(rc)?;
    write_private(&paths.ca_key, &ca_key.serialize_pem())?;
    fs::write(&paths.ca_cert, ca_cert.pem()).map_err(|e| format!("cannot write {}: {e}", paths.ca_cert.display()))?;
    let issuer = Issuer::new(ca_params, ca_key);
    issue_server(paths, listen, &issuer)?;
    tracing::info!(ca = %paths.ca_cert.display(), "created a local CA and server certificate");
    Ok(())
}

fn issue_server(paths: &TlsPaths, listen: SocketAddr, issuer: &Issuer<'_, KeyPair>) -> Result<(), String> {
    let rc = |e: rcgen::Error| format!("cannot generate TLS certificate: {e}");
    let mut names = vec!["localhost".to_owned(), "127.0.0.1".to_owned(), "::1".to_owned()];
    let ip = listen.ip();
    if !ip.is_loopback() && !ip.is_unspecified() {
        names.push(ip.to_string());
    }
    let mut params = CertificateParams::new(names).map_err(rc)?;
    params.distinguished_name.push(DnType::CommonName, "localhost");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.use_authority_key_identifier_extension = true;
    let now = OffsetDateTime::now_utc();
    params.not_before = now - Duration::days(1);
    params.not_after = now + Duration::days(825);
    let key = KeyPair::generate().map_err(rc)?;
    let cert = params.signed_by(&key, issuer).map_err(rc)?;
    write_private(&paths.server_key, &key.serialize_pem())?;
    fs::write(&paths.server_cert, cert.pem()).map_err(|e| format!("cannot write {}: {e}", paths.server_cert.display()))
}

/// The rustls configuration serving `cert_path` with `key_path`.
pub fn server_config(cert_path: &Path, key_path: &Path) -> Result<Arc<rustls::ServerConfig>, String> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert_path)
        .map_err(|e| format!("cannot read certificate {}: {e}", cert_path.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("bad certificate in {}: {e}", cert_path.display()))?;
    if certs.is_empty() {
        return Err(format!("no certificate found in {}", cert_path.display()));
    }
    let key = PrivateKeyDer::from_pem_file(key_path)
        .map_err(|e| format!("cannot read private key {}: {e}", key_path.display()))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| format!("certificate and key do not form a usable pair: {e}"))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
