"""`rampart store migrate`: an embedded (SQLite) node's state and audit log into PostgreSQL
(PostgreSQL store only).

A node runs on SQLite and is used; it stops; its data directory is migrated; the same data
directory then serves from PostgreSQL with everything in place: users, keys (old access keys still
authenticate), policies (still enforced), KMS keys (old ciphertexts still decrypt), aliases,
and the audit history, which new records continue. Migration shows progress, verifies, can be
interrupted and run again, and refuses a database that belongs to another deployment.
"""

import signal
import subprocess
import threading
import time

import pytest

from conftest import BINARY, PG_CA, Server, audit_events, new_database, requires_pg
from iamhelp import allow, client_for, doc, new_user
from pgnodes import error_of

pytestmark = requires_pg


def migrate_args(data_dir, store):
    return [str(BINARY), "store", "migrate", "--from", str(data_dir), "--to", store] + \
        (["--store-ca-cert", PG_CA] if PG_CA else [])


def migrate(data_dir, store, timeout=300):
    return subprocess.run(migrate_args(data_dir, store), capture_output=True, text=True, timeout=timeout)


def populate(s):
    """Uses a SQLite node the way a deployment would; returns what to check after migration."""
    iam, kms = s.client("iam"), s.client("kms")
    account = s.client("sts").get_caller_identity()["Account"]
    facts = {"account": account, "root": s.credentials()}
    # Users with keys, inline and managed policies, a group, a role, tags.
    arn = iam.create_policy(PolicyName="read-users", PolicyDocument=doc(allow(["iam:GetUser", "iam:ListUsers"])))["Policy"]["Arn"]
    iam.create_group(GroupName="readers")
    iam.attach_group_policy(GroupName="readers", PolicyArn=arn)
    facts["reader"] = new_user(s, iam, groups=["readers"], tags={"team": "blue"})
    facts["encryptor"] = new_user(s, iam, inline=doc(allow(["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"])))
    iam.create_role(RoleName="migrated-role", AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "sts:AssumeRole"}))
    iam.put_role_policy(RoleName="migrated-role", PolicyName="inline", PolicyDocument=doc(allow("iam:ListRoles")))
    # KMS: a symmetric key with an alias, rotated once; ciphertexts under both materials; a
    # signing key; a data key; a key pending deletion.
    key = kms.create_key(Description="migrated")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/migrated", TargetKeyId=key)
    before = kms.encrypt(KeyId="alias/migrated", Plaintext=b"before rotation", EncryptionContext={"m": "1"})["CiphertextBlob"]
    kms.rotate_key_on_demand(KeyId=key)
    after = kms.encrypt(KeyId=key, Plaintext=b"after rotation")["CiphertextBlob"]
    dk = kms.generate_data_key(KeyId=key, KeySpec="AES_256")
    sign_key = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    signature = kms.sign(KeyId=sign_key, Message=b"signed before", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    doomed = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.schedule_key_deletion(KeyId=doomed, PendingWindowInDays=7)
    facts.update(key=key, before=before, after=after, data_key=dk, sign_key=sign_key, signature=signature,
                 doomed=doomed, public=kms.get_public_key(KeyId=sign_key)["PublicKey"])
    return facts


def check(node, facts):
    """Everything `populate` made, seen and working through `node`."""
    iam, kms = node.client("iam"), node.client("kms")
    assert node.client("sts").get_caller_identity()["Account"] == facts["account"]
    reader, reader_creds = facts["reader"]
    as_reader = client_for(node, "iam", reader_creds)
    assert as_reader.get_user(UserName=reader)["User"]["Tags"] == [{"Key": "team", "Value": "blue"}]
    assert error_of(lambda: as_reader.list_roles()) == ("AccessDenied", 403), "policies still enforced"
    assert [u["UserName"] for u in iam.get_group(GroupName="readers")["Users"]] == [reader]
    assert iam.get_role(RoleName="migrated-role")["Role"]["RoleName"] == "migrated-role"
    assert iam.get_role_policy(RoleName="migrated-role", PolicyName="inline")["PolicyName"] == "inline"

    _, enc_creds = facts["encryptor"]
    as_encryptor = client_for(node, "kms", enc_creds)
    assert as_encryptor.decrypt(CiphertextBlob=facts["before"], EncryptionContext={"m": "1"})["Plaintext"] == b"before rotation"
    assert kms.decrypt(CiphertextBlob=facts["after"])["Plaintext"] == b"after rotation"
    assert kms.decrypt(CiphertextBlob=facts["data_key"]["CiphertextBlob"])["Plaintext"] == facts["data_key"]["Plaintext"]
    meta = kms.describe_key(KeyId="alias/migrated")["KeyMetadata"]
    assert meta["KeyId"] == facts["key"] and meta["Description"] == "migrated"
    assert len(kms.list_key_rotations(KeyId=facts["key"])["Rotations"]) == 1
    assert kms.get_public_key(KeyId=facts["sign_key"])["PublicKey"] == facts["public"]
    assert kms.verify(KeyId=facts["sign_key"], Message=b"signed before", Signature=facts["signature"],
                      SigningAlgorithm="ECDSA_SHA_256")["SignatureValid"] is True
    assert kms.describe_key(KeyId=facts["doomed"])["KeyMetadata"]["KeyState"] == "PendingDeletion"
    # New work on top of the old.
    blob = as_encryptor.encrypt(KeyId=facts["key"], Plaintext=b"new")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"new"


def make_audit_history(s, calls=1200, threads=4):
    """Enough audit records that a migration takes a moment (and can be interrupted)."""
    def run():
        sts = s.client("sts")
        for _ in range(calls // threads):
            sts.get_caller_identity()
    workers = [threading.Thread(target=run) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()


def test_migrate_sqlite_node_to_postgres(fresh_server, tmp_path):
    old = fresh_server(store=None)
    facts = populate(old)
    make_audit_history(old, calls=200)
    old.stop()
    source_trail = audit_events(["--data-dir", str(old.data_dir)])
    store = new_database()

    out = migrate(old.data_dir, store)
    assert out.returncode == 0, f"migrate failed ({out.returncode}):\n{out.stderr}"
    progress = out.stderr.lower()
    assert "audit" in progress and any(ch.isdigit() for ch in progress), f"no progress shown:\n{out.stderr}"
    assert "verif" in progress, f"no verification reported:\n{out.stderr}"
    n = len(source_trail)
    assert f"{n}/{n}" in out.stderr, f"the progress does not count the {n} audit events:\n{out.stderr}"
    assert facts["root"][1] not in out.stdout + out.stderr, "migrate printed the root secret"

    # Run again: nothing to do, nothing duplicated, verified again.
    again = migrate(old.data_dir, store)
    assert again.returncode == 0, f"re-running migrate failed ({again.returncode}):\n{again.stderr}"
    migrated_trail = audit_events(["--store", store] + (["--store-ca-cert", PG_CA] if PG_CA else []))
    assert migrated_trail == source_trail, "the audit history in PostgreSQL is the embedded one, in order, once"

    # The same data directory now serves from PostgreSQL with its master key.
    node = Server(old.data_dir, store=store, master_key=old.data_dir / "master.key").start()
    try:
        assert node.credentials() == facts["root"]
        check(node, facts)
        rid = node.client("sts").get_caller_identity()["ResponseMetadata"]["RequestId"]
        trail = node.audit_events()
        assert trail[: len(source_trail)] == source_trail and trail[-1]["requestID"] == rid, \
            "new records continue the migrated history"

        # A second node on the same database, with a copy of the master key only.
        second = Server(tmp_path / "second", store=store, master_key=old.data_dir / "master.key",
                        credentials_from=node).start()
        try:
            assert not (second.data_dir / "credentials").exists()
            check(second, facts)
            name, creds = new_user(second)
            assert client_for(node, "sts", creds).get_caller_identity()["Arn"].endswith(f":user/{name}")
        finally:
            second.stop()
    finally:
        node.stop()


def test_interrupted_migration_resumes(fresh_server):
    old = fresh_server(store=None)
    facts = populate(old)
    make_audit_history(old, calls=2400)
    old.stop()
    source_trail = audit_events(["--data-dir", str(old.data_dir)])
    store = new_database()
    store_args = ["--store", store] + (["--store-ca-cert", PG_CA] if PG_CA else [])

    # kill -9 the migration after a growing delay, and run it again, until one run finishes on
    # its own; each time, what was copied so far is a prefix of the audit history.
    interrupted_mid_copy = 0
    delay = 0.0
    for _ in range(200):
        proc = subprocess.Popen(migrate_args(old.data_dir, store), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        if proc.wait(timeout=30) == 0:
            break
        try:
            copied = audit_events(store_args)
        except RuntimeError:
            copied = None          # killed before the tables existed
        if copied is not None:
            assert copied == source_trail[: len(copied)], "a partial copy is a prefix of the history"
            interrupted_mid_copy += len(copied) < len(source_trail)
        delay += 0.005
    else:
        pytest.fail("migrate never finished")
    assert interrupted_mid_copy, "no kill landed between the schema's creation and the end of the copy"

    out = migrate(old.data_dir, store)
    assert out.returncode == 0, f"migrate after the interrupted runs failed ({out.returncode}):\n{out.stderr}"
    assert audit_events(store_args) == source_trail, "the audit history is complete, in order, once"

    node = Server(old.data_dir, store=store, master_key=old.data_dir / "master.key").start()
    try:
        check(node, facts)
    finally:
        node.stop()


def test_migrate_refuses_a_database_of_another_deployment(fresh_server):
    old = fresh_server(store=None)
    old.client("iam").create_user(UserName="only-here")
    old.stop()
    # A database a PostgreSQL node already bootstrapped an account in.
    other = fresh_server(store=new_database())
    other_account = other.client("sts").get_caller_identity()["Account"]
    other.client("iam").create_user(UserName="other-user")
    trail_before = other.audit_events()
    other.stop()

    out = migrate(old.data_dir, other.store)
    assert out.returncode != 0, f"migrate into another deployment's database succeeded:\n{out.stderr}"
    assert out.stderr.strip(), "the refusal says why"
    # The other deployment is untouched.
    other2 = Server(other.data_dir, store=other.store).start()
    try:
        assert other2.client("sts").get_caller_identity()["Account"] == other_account
        assert error_of(lambda: other2.client("iam").get_user(UserName="only-here")) == ("NoSuchEntity", 404)
        assert other2.audit_events()[: len(trail_before)] == trail_before
    finally:
        other2.stop()


def interrupted_mid_copy(data_dir, source_trail):
    """A database into which a migration of `data_dir` was killed part-way through its audit
    copy: returns (store URL, number of audit events it holds)."""
    for _ in range(5):
        store = new_database()
        store_args = ["--store", store] + (["--store-ca-cert", PG_CA] if PG_CA else [])
        delay = 0.0
        while True:
            proc = subprocess.Popen(migrate_args(data_dir, store), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(delay)
            proc.send_signal(signal.SIGKILL)
            if proc.wait(timeout=30) == 0:
                break              # finished before the kill: try again on a new database
            try:
                copied = len(audit_events(store_args))
            except RuntimeError:
                copied = 0         # killed before the tables existed
            if 0 < copied < len(source_trail):
                return store, copied
            delay += 0.005
    pytest.fail("could not interrupt a migration part-way")


def test_partial_migration_is_not_resumed_from_another_deployment(fresh_server):
    """Two deployments with the same account id (RAMPART_ACCOUNT_ID, as scripted set-ups fix
    it): a migration of the first is interrupted; migrating the second into that database must
    be refused without writing to it, and the first can still finish."""
    olds = []
    for i in range(2):
        s = fresh_server(store=None, extra_env={"RAMPART_ACCOUNT_ID": "123456789012"})
        s.client("iam").create_user(UserName=f"only-in-{i}")
        make_audit_history(s, calls=2400)
        s.stop()
        olds.append(s)
    first_trail = audit_events(["--data-dir", str(olds[0].data_dir)])
    store, copied = interrupted_mid_copy(olds[0].data_dir, first_trail)
    store_args = ["--store", store] + (["--store-ca-cert", PG_CA] if PG_CA else [])

    other = migrate(olds[1].data_dir, store)
    assert other.returncode != 0, "a different data directory resumed another one's migration"
    assert audit_events(store_args) == first_trail[:copied], "the refused migration wrote to the database"

    out = migrate(olds[0].data_dir, store)
    assert out.returncode == 0, out.stderr
    assert audit_events(store_args) == first_trail
