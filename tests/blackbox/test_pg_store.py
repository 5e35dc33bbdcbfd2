"""The PostgreSQL store on its own (PostgreSQL store only): what reaches the database, how Rampart
connects to it, and how it is selected.

Secrets and key material are sealed before they reach PostgreSQL, so a dump of the database shows
none of them, and neither the master key, which nodes share through the keystore file only.
"""

import base64
import json
import os
import re
import subprocess

import pytest

from conftest import (PG_CA, Server, assert_not_in_dump, drop_database, new_database, pg_dump, pg_store_url,
                      psql, requires_pg)
from iamhelp import ALLOW_ALL, client_for, new_user
from test_kms_lifecycle import import_material

pytestmark = requires_pg


def test_database_dump_reveals_no_secret_and_no_key_material(fresh_server):
    s = fresh_server()
    assert s.store, "this run keeps state in PostgreSQL"
    iam, kms, sts = s.client("iam"), s.client("kms"), s.client("sts")
    account = sts.get_caller_identity()["Account"]
    secrets = {"the root secret access key": s.credentials()[1]}

    name, creds = new_user(s, iam, inline=json.dumps(ALLOW_ALL))
    secrets["a user's secret access key"] = creds["SecretAccessKey"]
    iam.create_role(RoleName="dumped", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "sts:AssumeRole"}]}))
    session = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/dumped", RoleSessionName="dump")["Credentials"]
    secrets["a session's secret access key"] = session["SecretAccessKey"]
    secrets["a session token"] = session["SessionToken"]
    user_session = client_for(s, "sts", creds).get_session_token()["Credentials"]
    secrets["a GetSessionToken secret"] = user_session["SecretAccessKey"]
    mfa = iam.create_virtual_mfa_device(VirtualMFADeviceName="dumped")["VirtualMFADevice"]
    secrets["an MFA seed"] = base64.b32decode(mfa["Base32StringSeed"])
    secrets["an MFA seed (base32)"] = mfa["Base32StringSeed"]

    # KMS: imported key material (the one material a client ever knows), plaintexts and data keys.
    imported = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    material = os.urandom(32)
    import_material(kms, imported, material, ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    secrets["imported key material"] = material
    plaintext = os.urandom(48)
    blob = kms.encrypt(KeyId=imported, Plaintext=plaintext)["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == plaintext
    secrets["an encrypted plaintext"] = plaintext
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    dk = kms.generate_data_key(KeyId=key, KeySpec="AES_256")
    secrets["a plaintext data key"] = dk["Plaintext"]
    pair = kms.generate_data_key_pair(KeyId=key, KeyPairSpec="ECC_NIST_P256")
    secrets["a data key pair's private key"] = pair["PrivateKeyPlaintext"]

    # The master key never goes to the database, in any form.
    master = (s.data_dir / "master.key").read_bytes()
    secrets["the master key file"] = master
    secrets["the master key file (trimmed)"] = master.strip()

    dump = pg_dump(s.store)
    assert b"CREATE TABLE" in dump, "the dump has Rampart's tables"
    for what, secret in secrets.items():
        assert_not_in_dump(dump, secret, what)


def test_state_goes_to_the_database_not_the_data_dir(fresh_server):
    s = fresh_server()
    s.client("iam").create_user(UserName="in-postgres")
    tables = psql("SELECT count(*) FROM information_schema.tables WHERE table_schema NOT IN "
                  "('pg_catalog', 'information_schema')", s.store)
    assert int(tables) > 0, "Rampart created its tables"
    for name in ("state.db", "audit.db"):
        assert not (s.data_dir / name).exists(), f"{name} was created although the store is PostgreSQL"
    # The cluster's user is no superuser: Rampart needs only to own its database.
    assert psql("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").strip() == "f"


def test_store_from_the_environment(tmp_path):
    store = new_database()
    s = Server(tmp_path / "envnode", store=None,
               extra_env={"RAMPART_STORE": store},
               extra_args=["--store-ca-cert", PG_CA] if PG_CA else [])
    s.start()
    try:
        s.client("iam").create_user(UserName="from-env")
    finally:
        s.stop()
    assert not (s.data_dir / "state.db").exists()
    # The same database through --store: the user is there.
    again = Server(tmp_path / "envnode", store=store).start()
    try:
        assert again.client("iam").get_user(UserName="from-env")["User"]["UserName"] == "from-env"
    finally:
        again.stop()
        drop_database(store)


def fails_to_start(server):
    """The log of a server that must refuse to start (the test fails if it serves)."""
    try:
        server.start()
    except RuntimeError as e:
        assert "rampart exited" in str(e), str(e)
        return str(e)
    server.stop()
    pytest.fail("rampart started")


def test_database_must_exist(tmp_path):
    store = pg_store_url("rb_does_not_exist")
    log = fails_to_start(Server(tmp_path / "nodb", store=store))
    assert "rb_does_not_exist" in log, "the error names the missing database"


def test_wrong_password_fails_clearly(tmp_path):
    store = new_database()
    bad = re.sub(r"^(postgres://[^:]+:)[^@]+@", r"\1wrong-password@", store)
    log = fails_to_start(Server(tmp_path / "badpw", store=bad))
    assert "wrong-password" not in log, "the password is not logged"
    assert re.search(r"password|authentication", log, re.I), log
    drop_database(store)


def test_server_certificate_is_verified_against_the_given_ca(tmp_path):
    """With --store-ca-cert, a server certificate that CA did not sign is refused (libpq's rule:
    sslmode=require with a root certificate verifies the chain)."""
    other = tmp_path / "other-ca"
    other.mkdir()
    subprocess.run(["openssl", "req", "-x509", "-new", "-nodes", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-days", "1", "-subj", "/CN=not the cluster's CA",
                    "-keyout", str(other / "ca.key"), "-out", str(other / "ca.pem"),
                    "-addext", "basicConstraints=critical,CA:TRUE"], check=True, capture_output=True)
    store = new_database()
    try:
        log = fails_to_start(Server(tmp_path / "wrongca", store=store, store_ca_cert=other / "ca.pem"))
        assert re.search(r"certificate|tls|ssl", log, re.I), log
        # With the right CA the same database works.
        ok = Server(tmp_path / "rightca", store=store).start()
        ok.client("sts").get_caller_identity()
        ok.stop()
    finally:
        drop_database(store)


def test_plain_connection_is_not_attempted_when_tls_is_required(tmp_path):
    """The test cluster rejects unencrypted connections; sslmode=disable must then fail (proof
    that Rampart does what sslmode says rather than always negotiating TLS or never doing so)."""
    store = new_database()
    try:
        log = fails_to_start(Server(tmp_path / "plain", store=store.replace("sslmode=require", "sslmode=disable")))
        assert re.search(r"no encryption|pg_hba|ssl|tls", log, re.I), log
        ok = Server(tmp_path / "prefer", store=store.replace("sslmode=require", "sslmode=prefer")).start()
        ok.client("sts").get_caller_identity()
        ok.stop()
    finally:
        drop_database(store)


def test_unreachable_database_fails_clearly(tmp_path):
    from conftest import free_port
    store = f"postgres://rampart:secret-pw@127.0.0.1:{free_port()}/rampart?sslmode=require"
    log = fails_to_start(Server(tmp_path / "unreachable", store=store))
    assert re.search(r"cannot connect|connection refused", log, re.I), log
    assert "secret-pw" not in log, "the password is not logged"
