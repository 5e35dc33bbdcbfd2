"""KMS with boto3 and the aws CLI: keys, aliases, symmetric encryption, data keys, states."""

import base64
import json
import subprocess

import pytest

from kms_fixtures import kms_error, new_key


@pytest.fixture(scope="module")
def kms(server):
    return server.client("kms")


def test_create_describe_list(kms):
    meta = new_key(kms, Description="first", Tags=[{"TagKey": "team", "TagValue": "blue"}])
    assert meta["KeySpec"] == "SYMMETRIC_DEFAULT" and meta["KeyUsage"] == "ENCRYPT_DECRYPT"
    assert meta["KeyState"] == "Enabled" and meta["Enabled"] is True and meta["Origin"] == "AWS_KMS"
    assert meta["Arn"] == f"arn:aws:kms:us-east-1:{meta['AWSAccountId']}:key/{meta['KeyId']}"
    assert meta["EncryptionAlgorithms"] == ["SYMMETRIC_DEFAULT"] and meta["KeyManager"] == "CUSTOMER"
    assert kms.describe_key(KeyId=meta["Arn"])["KeyMetadata"]["Description"] == "first"
    ids = set()
    paginator = kms.get_paginator("list_keys")
    for page in paginator.paginate(PaginationConfig={"PageSize": 2}):
        ids |= {k["KeyId"] for k in page["Keys"]}
    assert meta["KeyId"] in ids
    assert kms.list_resource_tags(KeyId=meta["KeyId"])["Tags"] == [{"TagKey": "team", "TagValue": "blue"}]
    kms.update_key_description(KeyId=meta["KeyId"], Description="second")
    assert kms.describe_key(KeyId=meta["KeyId"])["KeyMetadata"]["Description"] == "second"


def test_unknown_keys(kms, server):
    assert kms_error(lambda: kms.describe_key(KeyId="00000000-0000-4000-8000-000000000000")) == "NotFoundException"
    assert kms_error(lambda: kms.describe_key(KeyId="not-a-key")) == "NotFoundException"
    assert kms_error(lambda: kms.describe_key(KeyId="alias/does-not-exist")) == "NotFoundException"
    assert kms_error(lambda: kms.create_key(KeySpec="ECC_NIST_P256")) == "ValidationException"
    assert kms_error(lambda: kms.create_key(KeySpec="HMAC_256", KeyUsage="ENCRYPT_DECRYPT")) == "ValidationException"


def test_encrypt_decrypt_with_context(kms):
    key = new_key(kms)["KeyId"]
    ctx = {"dept": "finance", "purpose": "test"}
    out = kms.encrypt(KeyId=key, Plaintext=b"top secret", EncryptionContext=ctx)
    assert out["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT" and out["KeyId"].endswith(key)
    blob = out["CiphertextBlob"]
    assert b"top secret" not in blob
    # The key id comes from the ciphertext.
    dec = kms.decrypt(CiphertextBlob=blob, EncryptionContext=ctx)
    assert dec["Plaintext"] == b"top secret" and dec["KeyId"].endswith(key)
    assert len(dec["KeyMaterialId"]) == 64
    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext=ctx, KeyId=key)["Plaintext"] == b"top secret"
    # Wrong, missing, extra context: InvalidCiphertextException.
    for bad in ({"dept": "hr", "purpose": "test"}, {}, {"dept": "finance"}, {**ctx, "x": "y"}):
        assert kms_error(lambda: kms.decrypt(CiphertextBlob=blob, EncryptionContext=bad)) == "InvalidCiphertextException"
    # Tampering anywhere fails.
    for i in (0, 10, 45, len(blob) - 1):
        t = bytearray(blob)
        t[i] ^= 1
        assert kms_error(lambda: kms.decrypt(CiphertextBlob=bytes(t), EncryptionContext=ctx)) in (
            "InvalidCiphertextException", "NotFoundException")
    assert kms_error(lambda: kms.decrypt(CiphertextBlob=b"garbage" * 10)) == "InvalidCiphertextException"
    # Naming another key: IncorrectKeyException.
    other = new_key(kms)["KeyId"]
    assert kms_error(lambda: kms.decrypt(CiphertextBlob=blob, EncryptionContext=ctx, KeyId=other)) == "IncorrectKeyException"
    # A fresh nonce every time.
    assert kms.encrypt(KeyId=key, Plaintext=b"x")["CiphertextBlob"] != kms.encrypt(KeyId=key, Plaintext=b"x")["CiphertextBlob"]


def test_data_keys(kms):
    key = new_key(kms)["KeyId"]
    dk = kms.generate_data_key(KeyId=key, KeySpec="AES_256", EncryptionContext={"a": "1"})
    assert len(dk["Plaintext"]) == 32
    assert kms.decrypt(CiphertextBlob=dk["CiphertextBlob"], EncryptionContext={"a": "1"})["Plaintext"] == dk["Plaintext"]
    assert len(kms.generate_data_key(KeyId=key, KeySpec="AES_128")["Plaintext"]) == 16
    assert len(kms.generate_data_key(KeyId=key, NumberOfBytes=64)["Plaintext"]) == 64
    assert kms_error(lambda: kms.generate_data_key(KeyId=key)) == "ValidationException"
    assert kms_error(lambda: kms.generate_data_key(KeyId=key, KeySpec="AES_256", NumberOfBytes=32)) == "ValidationException"
    wp = kms.generate_data_key_without_plaintext(KeyId=key, KeySpec="AES_256")
    assert "Plaintext" not in wp
    assert len(kms.decrypt(CiphertextBlob=wp["CiphertextBlob"])["Plaintext"]) == 32
    r = kms.generate_random(NumberOfBytes=48)["Plaintext"]
    assert len(r) == 48 and r != kms.generate_random(NumberOfBytes=48)["Plaintext"]


def test_re_encrypt(kms):
    a, b = new_key(kms)["KeyId"], new_key(kms)["KeyId"]
    blob = kms.encrypt(KeyId=a, Plaintext=b"move me", EncryptionContext={"v": "1"})["CiphertextBlob"]
    out = kms.re_encrypt(CiphertextBlob=blob, SourceEncryptionContext={"v": "1"}, DestinationKeyId=b,
                         DestinationEncryptionContext={"v": "2"})
    assert out["SourceKeyId"].endswith(a) and out["KeyId"].endswith(b)
    assert kms.decrypt(CiphertextBlob=out["CiphertextBlob"], EncryptionContext={"v": "2"})["Plaintext"] == b"move me"
    assert kms_error(lambda: kms.re_encrypt(CiphertextBlob=blob, DestinationKeyId=b)) == "InvalidCiphertextException"


def test_aliases_work_wherever_a_key_id_does(kms):
    meta = new_key(kms)
    key, arn = meta["KeyId"], meta["Arn"]
    name = f"alias/test-{key[:8]}"
    kms.create_alias(AliasName=name, TargetKeyId=key)
    alias_arn = arn.split(":key/")[0] + ":" + name
    for ref in (name, alias_arn, key, arn):
        assert kms.describe_key(KeyId=ref)["KeyMetadata"]["KeyId"] == key
        blob = kms.encrypt(KeyId=ref, Plaintext=b"via " + ref.encode())["CiphertextBlob"]
        assert kms.decrypt(CiphertextBlob=blob, KeyId=ref)["Plaintext"] == b"via " + ref.encode()
    assert kms_error(lambda: kms.create_alias(AliasName=name, TargetKeyId=key)) == "AlreadyExistsException"
    assert kms_error(lambda: kms.create_alias(AliasName="alias/aws/mine", TargetKeyId=key)) == "InvalidAliasNameException"
    assert kms_error(lambda: kms.create_alias(AliasName="noprefix", TargetKeyId=key)) == "ValidationException"
    listed = kms.list_aliases(KeyId=key)["Aliases"]
    assert [a["AliasName"] for a in listed] == [name] and listed[0]["AliasArn"] == alias_arn
    other = new_key(kms)["KeyId"]
    kms.update_alias(AliasName=name, TargetKeyId=other)
    assert kms.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == other
    sign_key = new_key(kms, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyId"]
    assert kms_error(lambda: kms.update_alias(AliasName=name, TargetKeyId=sign_key)) == "ValidationException"
    kms.delete_alias(AliasName=name)
    assert kms_error(lambda: kms.describe_key(KeyId=name)) == "NotFoundException"
    assert kms_error(lambda: kms.delete_alias(AliasName=name)) == "NotFoundException"


def test_disabled_key(kms):
    key = new_key(kms)["KeyId"]
    blob = kms.encrypt(KeyId=key, Plaintext=b"x")["CiphertextBlob"]
    kms.disable_key(KeyId=key)
    meta = kms.describe_key(KeyId=key)["KeyMetadata"]
    assert meta["KeyState"] == "Disabled" and meta["Enabled"] is False
    assert kms_error(lambda: kms.encrypt(KeyId=key, Plaintext=b"x")) == "DisabledException"
    assert kms_error(lambda: kms.decrypt(CiphertextBlob=blob)) == "DisabledException"
    assert kms_error(lambda: kms.generate_data_key(KeyId=key, KeySpec="AES_256")) == "DisabledException"
    kms.enable_key(KeyId=key)
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"


def test_pending_deletion(kms):
    key = new_key(kms)["KeyId"]
    blob = kms.encrypt(KeyId=key, Plaintext=b"x")["CiphertextBlob"]
    assert kms_error(lambda: kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=6)) == "ValidationException"
    assert kms_error(lambda: kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=31)) == "ValidationException"
    out = kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
    assert out["KeyState"] == "PendingDeletion" and out["PendingWindowInDays"] == 7
    meta = kms.describe_key(KeyId=key)["KeyMetadata"]
    assert meta["KeyState"] == "PendingDeletion" and "DeletionDate" in meta
    for call in (lambda: kms.encrypt(KeyId=key, Plaintext=b"x"), lambda: kms.decrypt(CiphertextBlob=blob),
                 lambda: kms.enable_key(KeyId=key), lambda: kms.schedule_key_deletion(KeyId=key),
                 lambda: kms.create_alias(AliasName=f"alias/pd-{key[:8]}", TargetKeyId=key)):
        assert kms_error(call) == "KMSInvalidStateException"
    kms.cancel_key_deletion(KeyId=key)
    assert kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "Disabled"
    assert kms_error(lambda: kms.cancel_key_deletion(KeyId=key)) == "KMSInvalidStateException"
    kms.enable_key(KeyId=key)
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"


def test_wrong_key_usage(kms):
    sign_key = new_key(kms, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyId"]
    sym = new_key(kms)["KeyId"]
    hmac_key = new_key(kms, KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyId"]
    assert kms_error(lambda: kms.encrypt(KeyId=sign_key, Plaintext=b"x")) == "InvalidKeyUsageException"
    assert kms_error(lambda: kms.generate_data_key(KeyId=sign_key, KeySpec="AES_256")) == "InvalidKeyUsageException"
    assert kms_error(lambda: kms.sign(KeyId=sym, Message=b"x", SigningAlgorithm="ECDSA_SHA_256")) == "InvalidKeyUsageException"
    assert kms_error(lambda: kms.generate_mac(KeyId=sym, Message=b"x", MacAlgorithm="HMAC_SHA_256")) == "InvalidKeyUsageException"
    assert kms_error(lambda: kms.encrypt(KeyId=hmac_key, Plaintext=b"x")) == "InvalidKeyUsageException"
    assert kms_error(lambda: kms.encrypt(KeyId=sym, Plaintext=b"x", EncryptionAlgorithm="RSAES_OAEP_SHA_256")) == "InvalidKeyUsageException"
    assert kms_error(lambda: kms.get_public_key(KeyId=sym)) == "UnsupportedOperationException"
    assert kms_error(lambda: kms.enable_key_rotation(KeyId=sign_key)) == "UnsupportedOperationException"


def test_dry_run(kms):
    key = new_key(kms)["KeyId"]
    assert kms_error(lambda: kms.encrypt(KeyId=key, Plaintext=b"x", DryRun=True)) == "DryRunOperationException"


def test_tags(kms):
    key = new_key(kms)["KeyId"]
    kms.tag_resource(KeyId=key, Tags=[{"TagKey": "a", "TagValue": "1"}, {"TagKey": "b", "TagValue": "2"}])
    kms.tag_resource(KeyId=key, Tags=[{"TagKey": "a", "TagValue": "3"}])
    assert kms.list_resource_tags(KeyId=key)["Tags"] == [{"TagKey": "a", "TagValue": "3"}, {"TagKey": "b", "TagValue": "2"}]
    kms.untag_resource(KeyId=key, TagKeys=["a"])
    assert kms.list_resource_tags(KeyId=key)["Tags"] == [{"TagKey": "b", "TagValue": "2"}]
    assert kms_error(lambda: kms.tag_resource(KeyId=key, Tags=[{"TagKey": "aws:x", "TagValue": "1"}])) == "TagException"


def test_key_policy_default_and_validation(kms):
    meta = new_key(kms)
    key, account = meta["KeyId"], meta["AWSAccountId"]
    policy = json.loads(kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"])
    assert policy["Statement"][0]["Principal"] == {"AWS": f"arn:aws:iam::{account}:root"}
    assert policy["Statement"][0]["Action"] == "kms:*"
    assert kms.list_key_policies(KeyId=key)["PolicyNames"] == ["default"]
    assert kms_error(lambda: kms.put_key_policy(KeyId=key, PolicyName="default", Policy="{not json")) == "MalformedPolicyDocumentException"
    lockout = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"}]})
    assert kms_error(lambda: kms.put_key_policy(KeyId=key, PolicyName="default", Policy=lockout)) == "MalformedPolicyDocumentException"
    new = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "kms:*", "Resource": "*"},
        {"Sid": "extra", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "kms:Decrypt", "Resource": "*"}]})
    kms.put_key_policy(KeyId=key, PolicyName="default", Policy=new)
    assert json.loads(kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"])["Statement"][1]["Sid"] == "extra"


def test_aws_cli_round_trip(server, tmp_path):
    env = server.env()

    def aws(*args):
        out = subprocess.run(["aws", "kms", *args, "--output", "json"], env=env, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout) if out.stdout.strip() else None

    key = aws("create-key", "--description", "cli")["KeyMetadata"]["KeyId"]
    aws("create-alias", "--alias-name", f"alias/cli-{key[:8]}", "--target-key-id", key)
    (tmp_path / "pt").write_bytes(b"from the aws cli\n")
    ct = aws("encrypt", "--key-id", f"alias/cli-{key[:8]}", "--plaintext", f"fileb://{tmp_path / 'pt'}",
             "--encryption-context", "app=cli")["CiphertextBlob"]
    (tmp_path / "ct").write_bytes(base64.b64decode(ct))
    out = aws("decrypt", "--ciphertext-blob", f"fileb://{tmp_path / 'ct'}", "--encryption-context", "app=cli")
    assert base64.b64decode(out["Plaintext"]) == b"from the aws cli\n"
    bad = subprocess.run(["aws", "kms", "decrypt", "--ciphertext-blob", f"fileb://{tmp_path / 'ct'}"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode != 0 and "InvalidCiphertextException" in bad.stderr
    aws("disable-key", "--key-id", key)
    bad = subprocess.run(["aws", "kms", "encrypt", "--key-id", key, "--plaintext", f"fileb://{tmp_path / 'pt'}"],
                         env=env, capture_output=True, text=True, timeout=60)
    assert bad.returncode != 0 and "DisabledException" in bad.stderr


def test_calls_are_audited_without_secrets(server, kms):
    key = new_key(kms)["KeyId"]
    rid = kms.encrypt(KeyId=key, Plaintext=b"audited-secret-value")["ResponseMetadata"]["RequestId"]
    events = [e for e in server.audit_events() if e["requestID"] == rid]
    assert len(events) == 1 and events[0]["eventSource"] == "kms.amazonaws.com" and events[0]["eventName"] == "Encrypt"
    assert base64.b64encode(b"audited-secret-value").decode() not in json.dumps(events[0])
