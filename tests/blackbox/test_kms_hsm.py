"""The HSM keystore: custom key stores on a SoftHSM2 token through PKCS#11. Keys are generated
in the token as sensitive, never-extractable objects and every operation on them runs there."""

import re

import pytest

from kms_fixtures import TOKEN_PIN, hsm_server, kms_error, new_key, softhsm  # noqa: F401 (fixture)

TRUST_ANCHOR = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"


def create_store(kms, hsm, name="hsm-store", password=TOKEN_PIN):
    return kms.create_custom_key_store(CustomKeyStoreName=name, CloudHsmClusterId=hsm.label,
                                       TrustAnchorCertificate=TRUST_ANCHOR, KeyStorePassword=password)["CustomKeyStoreId"]


def describe(kms, cks):
    return kms.describe_custom_key_stores(CustomKeyStoreId=cks)["CustomKeyStores"][0]


def test_hsm_keys_live_and_work_only_in_the_token(fresh_server, softhsm):
    s = hsm_server(fresh_server, softhsm)
    kms = s.client("kms")
    cks = create_store(kms, softhsm)
    assert re.fullmatch(r"cks-[0-9a-f]{17}", cks)
    assert describe(kms, cks)["ConnectionState"] == "DISCONNECTED"
    assert kms_error(lambda: kms.create_key(Origin="AWS_CLOUDHSM", CustomKeyStoreId=cks)) == "CustomKeyStoreInvalidStateException"
    kms.connect_custom_key_store(CustomKeyStoreId=cks)
    assert describe(kms, cks)["ConnectionState"] == "CONNECTED"

    meta = new_key(kms, Origin="AWS_CLOUDHSM", CustomKeyStoreId=cks, Description="in the HSM")
    key = meta["KeyId"]
    assert meta["Origin"] == "AWS_CLOUDHSM" and meta["CustomKeyStoreId"] == cks and meta["CloudHsmClusterId"] == softhsm.label
    assert kms_error(lambda: kms.create_key(Origin="AWS_CLOUDHSM", CustomKeyStoreId=cks, KeySpec="RSA_2048")) == "UnsupportedOperationException"
    blob = kms.encrypt(KeyId=key, Plaintext=b"hsm secret", EncryptionContext={"c": "d"})["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext={"c": "d"})["Plaintext"] == b"hsm secret"
    assert kms_error(lambda: kms.decrypt(CiphertextBlob=blob, EncryptionContext={"c": "x"})) == "InvalidCiphertextException"
    dk = kms.generate_data_key(KeyId=key, KeySpec="AES_256")
    assert kms.decrypt(CiphertextBlob=dk["CiphertextBlob"])["Plaintext"] == dk["Plaintext"]
    assert len(kms.generate_random(NumberOfBytes=32, CustomKeyStoreId=cks)["Plaintext"]) == 32

    # The token holds the key as a sensitive, never-extractable secret key.
    objects = softhsm.tool("--list-objects", "--type", "secrkey")
    assert f"rampart-kms-{key}" in objects
    block = objects[objects.index(f"rampart-kms-{key}") - 200:]
    assert re.search(r"Access:\s+sensitive, always sensitive, never extractable", objects), objects
    assert "extractable" in block

    # No file Rampart wrote can stand in for the token: remove the object from the token and
    # the key's ciphertexts cannot be decrypted any more.
    kms.disconnect_custom_key_store(CustomKeyStoreId=cks)
    assert describe(kms, cks)["ConnectionState"] == "DISCONNECTED"
    assert kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "Unavailable"
    assert kms_error(lambda: kms.encrypt(KeyId=key, Plaintext=b"x")) == "KMSInvalidStateException"
    assert kms_error(lambda: kms.decrypt(CiphertextBlob=blob, EncryptionContext={"c": "d"})) == "KMSInvalidStateException"
    assert kms_error(lambda: kms.delete_custom_key_store(CustomKeyStoreId=cks)) == "CustomKeyStoreHasCMKsException"
    assert kms_error(lambda: kms.generate_random(NumberOfBytes=8, CustomKeyStoreId=cks)) == "CustomKeyStoreInvalidStateException"

    # Restart: a store left connected reconnects; the key works again.
    kms.connect_custom_key_store(CustomKeyStoreId=cks)
    s.kill9()
    s2 = type(s)(s.data_dir, extra_env=s.extra_env, extra_args=s.extra_args).start()
    try:
        kms2 = s2.client("kms")
        assert kms2.decrypt(CiphertextBlob=blob, EncryptionContext={"c": "d"})["Plaintext"] == b"hsm secret"
        label = f"rampart-kms-{key}"
        softhsm.tool("--delete-object", "--type", "secrkey", "--label", next(
            l.split(":", 1)[1].strip() for l in softhsm.tool("--list-objects", "--type", "secrkey").splitlines()
            if "label:" in l and label in l))
        kms2.disconnect_custom_key_store(CustomKeyStoreId=cks)
        kms2.connect_custom_key_store(CustomKeyStoreId=cks)
        assert kms_error(lambda: kms2.decrypt(CiphertextBlob=blob, EncryptionContext={"c": "d"})) == "KMSInvalidStateException"
    finally:
        s2.stop()


def test_hsm_store_management_errors(fresh_server, softhsm):
    s = hsm_server(fresh_server, softhsm)
    kms = s.client("kms")
    assert kms_error(lambda: kms.create_custom_key_store(CustomKeyStoreName="x", CloudHsmClusterId="cluster-doesnotexist",
                                                         TrustAnchorCertificate=TRUST_ANCHOR, KeyStorePassword=TOKEN_PIN)) == "CloudHsmClusterNotFoundException"
    cks = create_store(kms, softhsm, password="wrong-pin-123")
    assert kms_error(lambda: create_store(kms, softhsm, name="hsm-store")) == "CustomKeyStoreNameInUseException"
    assert kms_error(lambda: create_store(kms, softhsm, name="other")) == "CloudHsmClusterInUseException"
    kms.connect_custom_key_store(CustomKeyStoreId=cks)
    d = describe(kms, cks)
    assert d["ConnectionState"] == "FAILED" and d["ConnectionErrorCode"] == "INVALID_CREDENTIALS"
    assert kms_error(lambda: kms.connect_custom_key_store(CustomKeyStoreId=cks)) == "CustomKeyStoreInvalidStateException"
    kms.disconnect_custom_key_store(CustomKeyStoreId=cks)
    kms.update_custom_key_store(CustomKeyStoreId=cks, KeyStorePassword=TOKEN_PIN, NewCustomKeyStoreName="renamed")
    kms.connect_custom_key_store(CustomKeyStoreId=cks)
    d = describe(kms, cks)
    assert d["ConnectionState"] == "CONNECTED" and d["CustomKeyStoreName"] == "renamed"
    assert kms_error(lambda: kms.delete_custom_key_store(CustomKeyStoreId=cks)) == "CustomKeyStoreInvalidStateException"
    key = new_key(kms, Origin="AWS_CLOUDHSM", CustomKeyStoreId=cks)["KeyId"]
    assert kms_error(lambda: kms.enable_key_rotation(KeyId=key)) == "UnsupportedOperationException"
    kms.disconnect_custom_key_store(CustomKeyStoreId=cks)
    assert kms_error(lambda: kms.describe_custom_key_stores(CustomKeyStoreId="cks-00000000000000000")) == "CustomKeyStoreNotFoundException"
    assert kms_error(lambda: kms.connect_custom_key_store(CustomKeyStoreId="cks-00000000000000000")) == "CustomKeyStoreNotFoundException"


def test_no_module_configured(server):
    kms = server.client("kms")
    assert kms_error(lambda: kms.create_custom_key_store(CustomKeyStoreName="x", CloudHsmClusterId="cluster-abcdefghijk",
                                                         TrustAnchorCertificate=TRUST_ANCHOR, KeyStorePassword="1234567")) == "CloudHsmClusterNotFoundException"
