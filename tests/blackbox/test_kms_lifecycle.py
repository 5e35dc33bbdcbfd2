"""KMS over time: rotation, imported key material, restart and kill -9."""

import os
import time

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.keywrap import aes_key_wrap_with_padding

from conftest import assert_not_in_dump, pg_dump
from kms_fixtures import kms_error, new_key


@pytest.fixture(scope="module")
def kms(server):
    return server.client("kms")


def wrap(public_der, material, algorithm):
    public = serialization.load_der_public_key(public_der)
    h = hashes.SHA1() if algorithm.endswith("SHA_1") else hashes.SHA256()
    oaep = padding.OAEP(mgf=padding.MGF1(algorithm=h), algorithm=h, label=None)
    if algorithm.startswith("RSAES_OAEP"):
        return public.encrypt(material, oaep)
    ephemeral = os.urandom(32)
    return public.encrypt(ephemeral, oaep) + aes_key_wrap_with_padding(ephemeral, material)


def import_material(kms, key, material, algorithm="RSAES_OAEP_SHA_256", **kw):
    params = kms.get_parameters_for_import(KeyId=key, WrappingAlgorithm=algorithm, WrappingKeySpec="RSA_2048")
    return kms.import_key_material(KeyId=key, ImportToken=params["ImportToken"],
                                   EncryptedKeyMaterial=wrap(params["PublicKey"], material, algorithm), **kw)


def test_rotation_on_demand_keeps_every_ciphertext(kms):
    key = new_key(kms)["KeyId"]
    blobs = [(kms.encrypt(KeyId=key, Plaintext=b"v0")["CiphertextBlob"], b"v0")]
    for i in range(1, 5):
        kms.rotate_key_on_demand(KeyId=key)
        blobs.append((kms.encrypt(KeyId=key, Plaintext=f"v{i}".encode())["CiphertextBlob"], f"v{i}".encode()))
    materials = {kms.decrypt(CiphertextBlob=b)["KeyMaterialId"] for b, _ in blobs}
    assert len(materials) == 5
    for b, pt in blobs:
        assert kms.decrypt(CiphertextBlob=b)["Plaintext"] == pt
    rotations = kms.list_key_rotations(KeyId=key)["Rotations"]
    assert len(rotations) == 4 and all(r["RotationType"] == "ON_DEMAND" for r in rotations)
    assert kms.describe_key(KeyId=key)["KeyMetadata"]["CurrentKeyMaterialId"] == rotations[-1]["KeyMaterialId"]
    status = kms.get_key_rotation_status(KeyId=key)
    assert status["KeyRotationEnabled"] is False and "OnDemandRotationStartDate" in status
    kms.enable_key_rotation(KeyId=key, RotationPeriodInDays=180)
    status = kms.get_key_rotation_status(KeyId=key)
    assert status["KeyRotationEnabled"] is True and status["RotationPeriodInDays"] == 180 and "NextRotationDate" in status
    kms.disable_key_rotation(KeyId=key)
    assert kms.get_key_rotation_status(KeyId=key)["KeyRotationEnabled"] is False
    kms.disable_key(KeyId=key)
    assert kms_error(lambda: kms.rotate_key_on_demand(KeyId=key)) == "DisabledException"


@pytest.mark.parametrize("algorithm", ["RSAES_OAEP_SHA_256", "RSA_AES_KEY_WRAP_SHA_256", "RSAES_OAEP_SHA_1", "RSA_AES_KEY_WRAP_SHA_1"])
def test_import_key_material(kms, algorithm):
    meta = new_key(kms, Origin="EXTERNAL")
    key = meta["KeyId"]
    assert meta["KeyState"] == "PendingImport" and meta["Origin"] == "EXTERNAL"
    assert kms_error(lambda: kms.encrypt(KeyId=key, Plaintext=b"x")) == "KMSInvalidStateException"
    material = os.urandom(32)
    out = import_material(kms, key, material, algorithm)
    assert len(out["KeyMaterialId"]) == 64
    assert kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "Enabled"
    blob = kms.encrypt(KeyId=key, Plaintext=b"imported")["CiphertextBlob"]
    # Other material is refused; the same material comes back after deletion.
    assert kms_error(lambda: import_material(kms, key, os.urandom(32), algorithm)) == "IncorrectKeyMaterialException"
    kms.delete_imported_key_material(KeyId=key)
    assert kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "PendingImport"
    assert kms_error(lambda: kms.decrypt(CiphertextBlob=blob)) == "KMSInvalidStateException"
    import_material(kms, key, material, algorithm)
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"imported"


def test_import_errors(kms):
    key = new_key(kms, Origin="EXTERNAL")["KeyId"]
    params = kms.get_parameters_for_import(KeyId=key, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048")
    wrapped = wrap(params["PublicKey"], os.urandom(32), "RSAES_OAEP_SHA_256")
    assert kms_error(lambda: kms.import_key_material(KeyId=key, ImportToken=b"bogus token", EncryptedKeyMaterial=wrapped)) == "InvalidImportTokenException"
    assert kms_error(lambda: kms.import_key_material(KeyId=key, ImportToken=params["ImportToken"], EncryptedKeyMaterial=b"x" * 256)) == "InvalidCiphertextException"
    short = wrap(params["PublicKey"], os.urandom(16), "RSAES_OAEP_SHA_256")
    assert kms_error(lambda: kms.import_key_material(KeyId=key, ImportToken=params["ImportToken"], EncryptedKeyMaterial=short)) == "IncorrectKeyMaterialException"
    assert kms_error(lambda: kms.import_key_material(KeyId=key, ImportToken=params["ImportToken"], EncryptedKeyMaterial=wrapped,
                                                     ExpirationModel="KEY_MATERIAL_EXPIRES", ValidTo=time.time() - 10)) == "ValidationException"
    out = kms.import_key_material(KeyId=key, ImportToken=params["ImportToken"], EncryptedKeyMaterial=wrapped,
                                  ExpirationModel="KEY_MATERIAL_EXPIRES", ValidTo=time.time() + 3600)
    meta = kms.describe_key(KeyId=key)["KeyMetadata"]
    assert meta["ExpirationModel"] == "KEY_MATERIAL_EXPIRES" and "ValidTo" in meta and out["KeyId"].endswith(key)
    normal = new_key(kms)["KeyId"]
    assert kms_error(lambda: kms.get_parameters_for_import(KeyId=normal, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048")) == "UnsupportedOperationException"


def test_everything_survives_kill9(fresh_server, tmp_path):
    s = fresh_server()
    kms = s.client("kms")
    account = s.client("sts").get_caller_identity()["Account"]
    key = new_key(kms, Description="durable")["KeyId"]
    kms.create_alias(AliasName="alias/durable", TargetKeyId=key)
    kms.rotate_key_on_demand(KeyId=key)
    kms.enable_key_rotation(KeyId=key, RotationPeriodInDays=90)
    grant = kms.create_grant(KeyId=key, GranteePrincipal=f"arn:aws:iam::{account}:root", Operations=["Encrypt"])
    blob = kms.encrypt(KeyId="alias/durable", Plaintext=b"still here", EncryptionContext={"a": "b"})["CiphertextBlob"]
    doomed = new_key(kms)["KeyId"]
    kms.schedule_key_deletion(KeyId=doomed, PendingWindowInDays=7)
    sign_key = new_key(kms, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyId"]
    public = kms.get_public_key(KeyId=sign_key)["PublicKey"]
    s.kill9()
    s2 = type(s)(s.data_dir).start()
    try:
        kms2 = s2.client("kms")
        assert kms2.decrypt(CiphertextBlob=blob, EncryptionContext={"a": "b"})["Plaintext"] == b"still here"
        assert kms2.describe_key(KeyId="alias/durable")["KeyMetadata"]["Description"] == "durable"
        assert kms2.get_key_rotation_status(KeyId=key)["KeyRotationEnabled"] is True
        assert len(kms2.list_key_rotations(KeyId=key)["Rotations"]) == 1
        assert [g["GrantId"] for g in kms2.list_grants(KeyId=key)["Grants"]] == [grant["GrantId"]]
        assert kms2.describe_key(KeyId=doomed)["KeyMetadata"]["KeyState"] == "PendingDeletion"
        assert kms2.get_public_key(KeyId=sign_key)["PublicKey"] == public
        sig = kms2.sign(KeyId=sign_key, Message=b"m", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
        assert kms2.verify(KeyId=sign_key, Message=b"m", Signature=sig, SigningAlgorithm="ECDSA_SHA_256")["SignatureValid"]
    finally:
        s2.stop()
    # Nothing written holds key material or plaintext in the clear.
    for path in s.data_dir.rglob("*"):
        if path.is_file():
            assert b"still here" not in path.read_bytes(), path
    if s.store:
        assert_not_in_dump(pg_dump(s.store), b"still here", "encrypted plaintext")
