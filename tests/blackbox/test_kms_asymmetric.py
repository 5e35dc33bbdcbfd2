"""Asymmetric and HMAC keys: Sign/Verify for every spec and algorithm (RAW and DIGEST), the
public key verified by OpenSSL, RSA-OAEP encryption, data key pairs, HMAC."""

import hashlib
import hmac as pyhmac
import subprocess

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding

from kms_fixtures import kms_error, new_key

SPECS = {
    "RSA_2048": ["RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512",
                 "RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512"],
    "RSA_3072": ["RSASSA_PSS_SHA_256", "RSASSA_PKCS1_V1_5_SHA_512"],
    "RSA_4096": ["RSASSA_PSS_SHA_512", "RSASSA_PKCS1_V1_5_SHA_256"],
    "ECC_NIST_P256": ["ECDSA_SHA_256"],
    "ECC_NIST_P384": ["ECDSA_SHA_384"],
    "ECC_NIST_P521": ["ECDSA_SHA_512"],
    "ECC_SECG_P256K1": ["ECDSA_SHA_256"],
}
HASH = {"256": hashlib.sha256, "384": hashlib.sha384, "512": hashlib.sha512}


@pytest.fixture(scope="module")
def kms(server):
    return server.client("kms")


@pytest.mark.parametrize("spec", list(SPECS))
def test_sign_verify_every_algorithm_and_openssl(kms, spec, tmp_path):
    meta = new_key(kms, KeySpec=spec, KeyUsage="SIGN_VERIFY")
    key = meta["KeyId"]
    assert meta["SigningAlgorithms"][: len(SPECS[spec])] == SPECS[spec] or set(SPECS[spec]) <= set(meta["SigningAlgorithms"])
    pub = kms.get_public_key(KeyId=key)
    assert pub["KeySpec"] == spec and pub["KeyUsage"] == "SIGN_VERIFY"
    (tmp_path / "pub.der").write_bytes(pub["PublicKey"])
    subprocess.run(["openssl", "pkey", "-pubin", "-inform", "DER", "-in", tmp_path / "pub.der", "-out", tmp_path / "pub.pem"],
                   check=True, capture_output=True)
    message = b"message signed by " + spec.encode()
    (tmp_path / "msg").write_bytes(message)
    for alg in SPECS[spec]:
        bits = alg[-3:]
        sig = kms.sign(KeyId=key, Message=message, SigningAlgorithm=alg)["Signature"]
        assert kms.verify(KeyId=key, Message=message, Signature=sig, SigningAlgorithm=alg)["SignatureValid"] is True
        digest = HASH[bits](message).digest()
        sig2 = kms.sign(KeyId=key, Message=digest, MessageType="DIGEST", SigningAlgorithm=alg)["Signature"]
        assert kms.verify(KeyId=key, Message=message, Signature=sig2, SigningAlgorithm=alg)["SignatureValid"] is True
        assert kms.verify(KeyId=key, Message=digest, MessageType="DIGEST", Signature=sig, SigningAlgorithm=alg)["SignatureValid"]
        assert kms_error(lambda: kms.verify(KeyId=key, Message=b"other", Signature=sig, SigningAlgorithm=alg)) == "KMSInvalidSignatureException"
        assert kms_error(lambda: kms.sign(KeyId=key, Message=b"short", MessageType="DIGEST", SigningAlgorithm=alg)) == "ValidationException"
        (tmp_path / "sig").write_bytes(sig)
        cmd = ["openssl", "dgst", f"-sha{bits}", "-verify", tmp_path / "pub.pem", "-signature", tmp_path / "sig"]
        if "PSS" in alg:
            cmd += ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:digest"]
        out = subprocess.run([*cmd, tmp_path / "msg"], capture_output=True, text=True)
        assert out.returncode == 0 and "Verified OK" in out.stdout, (alg, out.stdout, out.stderr)
    wrong = "ECDSA_SHA_256" if spec.startswith("RSA") else "RSASSA_PSS_SHA_256"
    assert kms_error(lambda: kms.sign(KeyId=key, Message=message, SigningAlgorithm=wrong)) == "InvalidKeyUsageException"


def test_rsa_encryption_keys(kms):
    meta = new_key(kms, KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")
    key = meta["KeyId"]
    assert meta["EncryptionAlgorithms"] == ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]
    public = serialization.load_der_public_key(kms.get_public_key(KeyId=key)["PublicKey"])
    for alg, h in (("RSAES_OAEP_SHA_1", hashes.SHA1()), ("RSAES_OAEP_SHA_256", hashes.SHA256())):
        blob = kms.encrypt(KeyId=key, Plaintext=b"rsa secret", EncryptionAlgorithm=alg)["CiphertextBlob"]
        assert kms.decrypt(KeyId=key, CiphertextBlob=blob, EncryptionAlgorithm=alg)["Plaintext"] == b"rsa secret"
        # Encrypted offline with the public key: KMS decrypts it.
        offline = public.encrypt(b"offline", padding.OAEP(mgf=padding.MGF1(algorithm=h), algorithm=h, label=None))
        assert kms.decrypt(KeyId=key, CiphertextBlob=offline, EncryptionAlgorithm=alg)["Plaintext"] == b"offline"
    assert kms_error(lambda: kms.encrypt(KeyId=key, Plaintext=b"x")) == "InvalidKeyUsageException"
    assert kms_error(lambda: kms.decrypt(CiphertextBlob=blob, EncryptionAlgorithm="RSAES_OAEP_SHA_256")) == "InvalidCiphertextException"
    assert kms_error(lambda: kms.encrypt(KeyId=key, Plaintext=b"x" * 300, EncryptionAlgorithm="RSAES_OAEP_SHA_256")) == "ValidationException"


def test_data_key_pairs(kms):
    key = new_key(kms)["KeyId"]
    for spec in ("ECC_NIST_P256", "RSA_2048"):
        pair = kms.generate_data_key_pair(KeyId=key, KeyPairSpec=spec, EncryptionContext={"k": spec})
        private = serialization.load_der_private_key(pair["PrivateKeyPlaintext"], password=None)
        assert private.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) == pair["PublicKey"]
        assert kms.decrypt(CiphertextBlob=pair["PrivateKeyCiphertextBlob"], EncryptionContext={"k": spec})["Plaintext"] == pair["PrivateKeyPlaintext"]
    wp = kms.generate_data_key_pair_without_plaintext(KeyId=key, KeyPairSpec="ECC_NIST_P384")
    assert "PrivateKeyPlaintext" not in wp
    private = serialization.load_der_private_key(kms.decrypt(CiphertextBlob=wp["PrivateKeyCiphertextBlob"])["Plaintext"], password=None)
    assert isinstance(private.curve, ec.SECP384R1)
    sign_key = new_key(kms, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyId"]
    assert kms_error(lambda: kms.generate_data_key_pair(KeyId=sign_key, KeyPairSpec="RSA_2048")) == "InvalidKeyUsageException"


@pytest.mark.parametrize("bits", ["224", "256", "384", "512"])
def test_hmac(kms, bits):
    meta = new_key(kms, KeySpec=f"HMAC_{bits}", KeyUsage="GENERATE_VERIFY_MAC")
    assert meta["MacAlgorithms"] == [f"HMAC_SHA_{bits}"]
    key = meta["KeyId"]
    mac = kms.generate_mac(KeyId=key, Message=b"mac me", MacAlgorithm=f"HMAC_SHA_{bits}")["Mac"]
    assert len(mac) == int(bits) // 8
    assert kms.verify_mac(KeyId=key, Message=b"mac me", Mac=mac, MacAlgorithm=f"HMAC_SHA_{bits}")["MacValid"] is True
    bad = bytes([mac[0] ^ 1]) + mac[1:]
    assert kms_error(lambda: kms.verify_mac(KeyId=key, Message=b"mac me", Mac=bad, MacAlgorithm=f"HMAC_SHA_{bits}")) == "KMSInvalidMacException"
    other = "HMAC_SHA_256" if bits != "256" else "HMAC_SHA_512"
    assert kms_error(lambda: kms.generate_mac(KeyId=key, Message=b"x", MacAlgorithm=other)) == "InvalidKeyUsageException"


def test_imported_hmac_matches_python(kms):
    # The MAC of imported HMAC material is the standard HMAC: proven against Python's.
    pytest.importorskip("cryptography")
    from test_kms_lifecycle import import_material
    material = bytes(range(32))
    key = new_key(kms, KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC", Origin="EXTERNAL")["KeyId"]
    import_material(kms, key, material, "RSA_AES_KEY_WRAP_SHA_256")
    mac = kms.generate_mac(KeyId=key, Message=b"hello", MacAlgorithm="HMAC_SHA_256")["Mac"]
    assert mac == pyhmac.new(material, b"hello", hashlib.sha256).digest()
