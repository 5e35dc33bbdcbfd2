"""Real clients that nobody here wrote: the AWS Encryption SDK CLI encrypts a file with a
Rampart KMS key (envelope encryption through GenerateDataKey) and decrypts it again."""

import shutil
import subprocess

import pytest

from kms_fixtures import new_key


def test_aws_encryption_sdk_cli_round_trip(server, tmp_path):
    cli = shutil.which("aws-encryption-cli")
    if cli is None:
        pytest.fail("aws-encryption-cli is required (tests/requirements-kms.txt)")
    kms = server.client("kms")
    arn = new_key(kms, Description="encryption sdk")["Arn"]
    env = server.env()
    env["AWS_DEFAULT_REGION"] = "us-east-1"
    data = b"A file protected with the AWS Encryption SDK and a Rampart KMS key.\n" * 100
    (tmp_path / "plain.txt").write_bytes(data)
    enc = subprocess.run([cli, "--encrypt", "--input", str(tmp_path / "plain.txt"), "--output", str(tmp_path / "plain.txt.encrypted"),
                          "--wrapping-keys", f"key={arn}", "--encryption-context", "purpose=test", "--metadata-output", "-",
                          "--commitment-policy", "require-encrypt-require-decrypt"],
                         env=env, capture_output=True, text=True, timeout=120)
    assert enc.returncode == 0, enc.stderr
    encrypted = (tmp_path / "plain.txt.encrypted").read_bytes()
    assert data[:40] not in encrypted
    assert arn.encode() in encrypted, "the message header names the KMS key that wrapped its data key"
    dec = subprocess.run([cli, "--decrypt", "--input", str(tmp_path / "plain.txt.encrypted"), "--output", str(tmp_path / "out.txt"),
                          "--wrapping-keys", f"key={arn}", "--encryption-context", "purpose=test", "--metadata-output", "-",
                          "--commitment-policy", "require-encrypt-require-decrypt"],
                         env=env, capture_output=True, text=True, timeout=120)
    assert dec.returncode == 0, dec.stderr
    assert (tmp_path / "out.txt").read_bytes() == data
    # With the key disabled, the file cannot be decrypted.
    kms.disable_key(KeyId=arn)
    bad = subprocess.run([cli, "--decrypt", "--input", str(tmp_path / "plain.txt.encrypted"), "--output", str(tmp_path / "out2.txt"),
                          "--wrapping-keys", f"key={arn}", "--metadata-output", "-", "--commitment-policy", "require-encrypt-require-decrypt"],
                         env=env, capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0
