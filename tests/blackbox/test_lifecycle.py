"""Start-up, restart and crash: nothing acknowledged is lost."""

import os

import botocore.exceptions
import pytest


def test_kill9_keeps_audit_records_and_keys(fresh_server):
    s = fresh_server()
    key, secret = s.credentials()
    sts = s.client("sts")
    rids = [sts.get_caller_identity()["ResponseMetadata"]["RequestId"] for _ in range(20)]
    account = sts.get_caller_identity()["Account"]
    s.kill9()
    s2 = type(s)(s.data_dir).start()
    try:
        assert s2.credentials() == (key, secret), "the root key must not change across restarts"
        ident = s2.client("sts").get_caller_identity()
        assert ident["Account"] == account
        recorded = {e["requestID"] for e in s2.audit_events()}
        assert set(rids) <= recorded, "every acknowledged call's record survives kill -9"
    finally:
        s2.stop()


def test_root_credentials_from_environment(fresh_server):
    env = {
        "RAMPART_ROOT_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
        "RAMPART_ROOT_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "RAMPART_ACCOUNT_ID": "123456789012",
    }
    s = fresh_server(extra_env=env)
    assert s.credentials() == ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    ident = s.client("sts").get_caller_identity()
    assert ident["Account"] == "123456789012"
    assert ident["Arn"] == "arn:aws:iam::123456789012:root"
    assert "wJalrXUtnFEMI" not in s.log_path.read_text()


def test_account_id_cannot_change_under_existing_data(fresh_server, tmp_path):
    s = fresh_server(extra_env={"RAMPART_ACCOUNT_ID": "111111111111"})
    s.stop()
    bad = type(s)(s.data_dir, extra_env={"RAMPART_ACCOUNT_ID": "222222222222"})
    with pytest.raises(RuntimeError) as exc:
        bad.start()
    assert "111111111111" in str(exc.value)


def test_sigterm_is_graceful(fresh_server):
    s = fresh_server()
    s.client("sts").get_caller_identity()
    s.stop()
    assert s.proc.returncode == 0


def test_config_file(fresh_server, tmp_path):
    cfg = tmp_path / "rampart.toml"
    cfg.write_text('region = "eu-central-1"\n')
    s = fresh_server(extra_args=["--config", str(cfg)])
    env = s.env()
    assert env["AWS_DEFAULT_REGION"] == "eu-central-1"
    s.client("sts", region="eu-central-1").get_caller_identity()
    assert s.audit_events()[-1]["awsRegion"] == "eu-central-1"


def test_user_supplied_certificate(fresh_server, tmp_path):
    # Use the CA-signed pair of one server as the user-supplied pair of another.
    first = fresh_server()
    first.stop()
    tls = first.data_dir / "tls"
    s = fresh_server(extra_args=["--tls-cert", str(tls / "server.pem"), "--tls-key", str(tls / "server.key")])
    assert not (s.data_dir / "tls").exists(), "no CA is generated when the user supplies a certificate"
    key, secret = s.credentials()
    import boto3
    sts = boto3.session.Session().client("sts", endpoint_url=s.endpoint, verify=str(tls / "ca.pem"),
                                         region_name="us-east-1", aws_access_key_id=key,
                                         aws_secret_access_key=secret)
    assert sts.get_caller_identity()["Arn"].endswith(":root")


def test_rust_log_debug_never_shows_secrets(fresh_server):
    import json as _json
    import rawsign as rs
    s = fresh_server(extra_env={"RUST_LOG": "debug"})
    key, secret = s.credentials()
    iam = s.client("iam")
    trust = _json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::" + s.client("sts").get_caller_identity()["Account"] + ":root"}, "Action": "sts:AssumeRole"}]})
    arn = iam.create_role(RoleName="logcheck", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    c = s.client("sts").assume_role(RoleArn=arn, RoleSessionName="logcheck")["Credentials"]
    # A request whose signature does not match makes the server log its canonical request.
    req = rs.sign(s, key=c["AccessKeyId"], secret="x" * 40, token=c["SessionToken"])
    assert rs.send(s, req).error_code() == "SignatureDoesNotMatch"
    log = s.log_path.read_text()
    assert "signature mismatch" in log and "DEBUG" in log, "RUST_LOG=debug is honoured"
    for value in (secret, c["SecretAccessKey"], c["SessionToken"]):
        assert value not in log
