//! A small HTTP client for an issuer's discovery document and keys: one GET per connection,
//! HTTPS with the system's trusted CAs (plain HTTP only to loopback addresses, see
//! [`super::issuer::IssuerUrl`]), bounded in time and size.

use super::issuer::is_loopback;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::rt::TokioIo;
use rustls_pki_types::ServerName;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::net::TcpStream;

/// How long one fetch (connect, TLS, request, response) may take.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(5);
/// Largest response body accepted.
pub(crate) const MAX_BODY: usize = 512 * 1024;

/// Why a fetch failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FetchError {
    /// The issuer could not be reached or did not answer `200 OK` in time.
    Unreachable(String),
    /// The URL may not be fetched, or the answer is not what was asked for.
    Invalid(String),
}

/// Fetches issuer documents. The TLS configuration (the system's CA bundle) is loaded once.
#[derive(Default)]
pub(crate) struct Fetcher {
    tls: OnceLock<Result<Arc<rustls::ClientConfig>, String>>,
}

/// Aborts a spawned connection driver when the fetch ends, however it ends.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Fetcher {
    fn tls(&self) -> Result<Arc<rustls::ClientConfig>, FetchError> {
        self.tls.get_or_init(load_tls).clone().map_err(FetchError::Unreachable)
    }

    /// GETs `url` and parses the body as JSON.
    pub(crate) async fn get_json(&self, url: &str) -> Result<serde_json::Value, FetchError> {
        let body = self.get(url).await?;
        serde_json::from_slice(&body).map_err(|e| FetchError::Invalid(format!("{url} did not return JSON: {e}")))
    }

    /// GETs `url`: `https`, or `http` to a loopback host.
    pub(crate) async fn get(&self, url: &str) -> Result<Bytes, FetchError> {
        let uri: http::Uri = url.parse().map_err(|_| FetchError::Invalid(format!("invalid URL {url}")))?;
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => return Err(FetchError::Invalid(format!("{url} is not an http(s) URL"))),
        };
        let authority = uri.authority().ok_or_else(|| FetchError::Invalid(format!("{url} has no host")))?;
        if authority.as_str().contains('@') {
            return Err(FetchError::Invalid(format!("{url} carries user information")));
        }
        let host = authority.host().trim_start_matches('[').trim_end_matches(']').to_owned();
        if !https && !is_loopback(&host) {
            return Err(FetchError::Invalid(format!("{url} must use https")));
        }
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
        let host_header = authority.as_str().to_owned();
        let tls = if https { Some(self.tls()?) } else { None };
        let work = async move {
            let tcp = TcpStream::connect((host.as_str(), port))
                .await
                .map_err(|e| FetchError::Unreachable(format!("cannot connect to {host}:{port}: {e}")))?;
            match tls {
                Some(config) => {
                    let name = ServerName::try_from(host.clone())
                        .map_err(|_| FetchError::Invalid(format!("invalid TLS server name {host}")))?;
                    let stream = tokio_rustls::TlsConnector::from(config)
                        .connect(name, tcp)
                        .await
                        .map_err(|e| FetchError::Unreachable(format!("TLS with {host}:{port} failed: {e}")))?;
                    request(TokioIo::new(stream), &host_header, &path).await
                }
                None => request(TokioIo::new(tcp), &host_header, &path).await,
            }
        };
        tokio::time::timeout(TIMEOUT, work)
            .await
            .map_err(|_| FetchError::Unreachable(format!("{url} did not answer within {} s", TIMEOUT.as_secs())))?
    }
}

async fn request<T>(io: TokioIo<T>, host: &str, path: &str) -> Result<Bytes, FetchError>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let unreachable = |e: hyper::Error| FetchError::Unreachable(format!("HTTP exchange with {host} failed: {e}"));
    let (mut sender, conn) = hyper::client::conn::http1::handshake(io).await.map_err(unreachable)?;
    let _driver = AbortOnDrop(tokio::spawn(async move {
        let _ = conn.await;
    }));
    let req = http::Request::get(path)
        .header(http::header::HOST, host)
        .header(http::header::ACCEPT, "application/json")
        .header(http::header::USER_AGENT, "rampart-sts")
        .header(http::header::CONNECTION, "close")
        .body(Empty::<Bytes>::new())
        .map_err(|e| FetchError::Invalid(format!("cannot build a request for {host}{path}: {e}")))?;
    let resp = sender.send_request(req).await.map_err(unreachable)?;
    if resp.status() != http::StatusCode::OK {
        return Err(FetchError::Unreachable(format!("{host}{path} answered HTTP {}", resp.status().as_u16())));
    }
    let body = Limited::new(resp.into_body(), MAX_BODY)
        .collect()
        .await
        .map_err(|e| FetchError::Invalid(format!("{host}{path}: body unreadable or over {MAX_BODY} bytes: {e}")))?;
    Ok(body.to_bytes())
}

fn load_tls() -> Result<Arc<rustls::ClientConfig>, String> {
    let mut roots = rustls::RootCertStore::empty();
    let found = rustls_native_certs::load_native_certs();
    for cert in found.certs {
        // Skip certificates that do not parse; the system bundle may hold a few.
        let _ = roots.add(cert);
    }
    if roots.is_empty() {
        return Err("no trusted CA certificates found on this system".into());
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS configuration: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls_pki_types::{CertificateDer, PrivatePkcs8KeyDer};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    impl Fetcher {
        /// A fetcher trusting only `roots`.
        fn trusting(roots: Vec<CertificateDer<'static>>) -> Self {
            let mut store = rustls::RootCertStore::empty();
            for r in roots {
                store.add(r).unwrap();
            }
            let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
            let config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_root_certificates(store)
                .with_no_client_auth();
            let f = Self::default();
            assert!(f.tls.set(Ok(Arc::new(config))).is_ok());
            f
        }
    }

    /// An HTTPS server on loopback with a fresh certificate for `localhost`, answering `{"ok":1}`.
    async fn https_server() -> (u16, CertificateDer<'static>) {
        let key = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let cert = key.cert.der().clone();
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert.clone()], PrivatePkcs8KeyDer::from(key.signing_key.serialize_der()).into())
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let Ok(mut tls) = acceptor.accept(tcp).await else { continue };
                let mut buf = vec![0u8; 4096];
                let _ = tls.read(&mut buf).await;
                let body = "{\"ok\":1}";
                let reply =
                    format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len());
                let _ = tls.write_all(reply.as_bytes()).await;
                let _ = tls.shutdown().await;
            }
        });
        (port, cert)
    }

    #[tokio::test]
    async fn https_verifies_the_certificate_and_its_name() {
        let (port, cert) = https_server().await;
        let trusting = Fetcher::trusting(vec![cert]);
        let got = trusting.get_json(&format!("https://localhost:{port}/doc")).await.unwrap();
        assert_eq!(got, serde_json::json!({"ok": 1}));
        // The certificate names localhost, not 127.0.0.1.
        let wrong_name = trusting.get(&format!("https://127.0.0.1:{port}/doc")).await;
        assert!(matches!(wrong_name, Err(FetchError::Unreachable(m)) if m.contains("TLS")));
        // A certificate no trusted CA issued is refused.
        let system = Fetcher::default().get(&format!("https://localhost:{port}/doc")).await;
        assert!(matches!(system, Err(FetchError::Unreachable(_))));
    }

    #[tokio::test]
    async fn only_http_urls_are_fetched() {
        let f = Fetcher::default();
        for url in ["ftp://localhost/x", "not a url", "https://user@localhost/x", "http://example.com/x"] {
            assert!(matches!(f.get(url).await, Err(FetchError::Invalid(_))), "{url}");
        }
    }
}
