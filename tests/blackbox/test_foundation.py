"""The foundation, end to end: real clients, TLS and plain HTTP, the audit trail."""

import os
import subprocess

import boto3
import botocore.exceptions
import pytest

from conftest import BINARY, assert_not_in_dump, pg_dump


def test_aws_cli_get_caller_identity_over_tls(server):
    env = server.env()
    assert env["AWS_ENDPOINT_URL"].startswith("https://")
    assert env["AWS_CA_BUNDLE"].endswith("tls/ca.pem")
    out = subprocess.run(["aws", "sts", "get-caller-identity", "--output", "json"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    import json
    ident = json.loads(out.stdout)
    assert len(ident["Account"]) == 12 and ident["Account"].isdigit()
    assert ident["Arn"] == f"arn:aws:iam::{ident['Account']}:root"
    assert ident["UserId"] == ident["Account"]


def test_aws_cli_over_plain_http(http_server):
    env = http_server.env()
    assert env["AWS_ENDPOINT_URL"].startswith("http://")
    assert "AWS_CA_BUNDLE" not in env
    out = subprocess.run(["aws", "sts", "get-caller-identity", "--query", "Arn", "--output", "text"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith(":root")


def test_boto3_over_tls_and_http(server, http_server):
    for s in (server, http_server):
        ident = s.client("sts").get_caller_identity()
        assert ident["Arn"].endswith(":root")
        assert ident["ResponseMetadata"]["HTTPStatusCode"] == 200
        assert len(ident["ResponseMetadata"]["RequestId"]) == 36


def test_tls_is_verified_against_generated_ca(server):
    # Without the CA the client must refuse the certificate: the TLS is real.
    key, secret = server.credentials()
    sts = boto3.session.Session().client("sts", endpoint_url=server.endpoint, region_name="us-east-1",
                                         aws_access_key_id=key, aws_secret_access_key=secret)
    with pytest.raises(botocore.exceptions.SSLError):
        sts.get_caller_identity()


def test_files_are_private(server):
    for name in ("credentials", "master.key", "tls/ca.key", "tls/server.key"):
        mode = (server.data_dir / name).stat().st_mode & 0o777
        assert mode == 0o600, (name, oct(mode))
    assert (server.data_dir.stat().st_mode & 0o077) == 0


def test_secret_is_not_stored_or_logged_in_plaintext(server):
    key, secret = server.credentials()
    server.client("sts").get_caller_identity()
    for path in server.data_dir.rglob("*"):
        if path.is_file() and path.name != "credentials":
            assert secret.encode() not in path.read_bytes(), f"secret found in {path}"
    assert secret.encode() not in server.log_path.read_bytes()
    if server.store:
        assert_not_in_dump(pg_dump(server.store), secret, "the root secret access key")


def test_every_call_is_audited(server):
    sts = server.client("sts")
    rid = sts.get_caller_identity()["ResponseMetadata"]["RequestId"]
    events = server.audit_events()
    mine = [e for e in events if e["requestID"] == rid]
    assert len(mine) == 1
    e = mine[0]
    assert e["eventSource"] == "sts.amazonaws.com"
    assert e["eventName"] == "GetCallerIdentity"
    assert e["awsRegion"] == "us-east-1"
    assert e["sourceIPAddress"] == "127.0.0.1"
    assert "Boto3" in e["userAgent"] or "boto" in e["userAgent"].lower()
    assert e["userIdentity"]["type"] == "Root"
    assert e["userIdentity"]["arn"].endswith(":root")
    assert e["userIdentity"]["accessKeyId"] == server.credentials()[0]
    assert "errorCode" not in e
    assert e["readOnly"] is True
    assert e["eventType"] == "AwsApiCall"


def test_denied_calls_are_audited_too(server):
    bad = server.client("sts", access_key="AKIAEXAMPLEUNKNOWN00", secret="x" * 40)
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        bad.get_caller_identity()
    rid = exc.value.response["ResponseMetadata"]["RequestId"]
    [e] = [e for e in server.audit_events() if e["requestID"] == rid]
    assert e["errorCode"] == "InvalidClientTokenId"
    assert e["userIdentity"]["accessKeyId"] == "AKIAEXAMPLEUNKNOWN00"


def test_help_is_complete():
    for args in ([], ["serve"], ["env"], ["audit", "lookup-events"], ["store", "migrate"], ["account", "create"]):
        out = subprocess.run([str(BINARY), *args, "--help"], capture_output=True, text=True)
        assert out.returncode == 0
        assert "Usage" in out.stdout
    serve_help = subprocess.run([str(BINARY), "serve", "--help"], capture_output=True, text=True).stdout
    for flag in ("--data-dir", "--listen", "--http", "--region", "--config", "--tls-cert", "--tls-key",
                 "--store", "--store-ca-cert", "--master-key"):
        assert flag in serve_help


def test_help_never_shows_the_store_password_from_the_environment():
    # clap prints env values in --help unless told not to; a database URL carries a password.
    env = dict(os.environ, RAMPART_STORE="postgres://rampart:do-not-print-me@db.invalid/rampart")
    for args in (["serve"], ["audit", "lookup-events"], ["account", "create"]):
        out = subprocess.run([str(BINARY), *args, "--help"], capture_output=True, text=True, env=env)
        assert out.returncode == 0
        assert "do-not-print-me" not in out.stdout + out.stderr
