"""Helpers for the KMS black-box tests: error assertions, IAM principals, a SoftHSM2 token."""

import base64
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import botocore.exceptions
import pytest

SOFTHSM_MODULE = next(
    (p for p in ("/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
                 "/usr/local/lib/softhsm/libsofthsm2.so") if os.path.exists(p)),
    None,
)
TOKEN_PIN = "rampart-pin-1"
SO_PIN = "rampart-so-pin"


def kms_error(fn):
    """The AWS error code `fn()` fails with (the test fails if it succeeds)."""
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        fn()
    return exc.value.response["Error"]["Code"]


def new_key(kms, **kw):
    return kms.create_key(**kw)["KeyMetadata"]


class SoftHsm:
    """A SoftHSM2 configuration of its own with one initialized token."""

    def __init__(self, root: Path, label: str):
        self.root = root
        self.label = label
        self.tokens = root / "tokens"
        self.tokens.mkdir(parents=True)
        self.conf = root / "softhsm2.conf"
        self.conf.write_text(f"directories.tokendir = {self.tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
        self.env = {**os.environ, "SOFTHSM2_CONF": str(self.conf)}
        subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", label, "--so-pin", SO_PIN,
                        "--pin", TOKEN_PIN], check=True, capture_output=True, env=self.env)

    def tool(self, *args):
        """Runs pkcs11-tool on this token, logged in; returns stdout."""
        out = subprocess.run(["pkcs11-tool", "--module", SOFTHSM_MODULE, "--token-label", self.label, "--login",
                              "--pin", TOKEN_PIN, *args], capture_output=True, text=True, env=self.env)
        assert out.returncode == 0, out.stderr
        return out.stdout


@pytest.fixture
def softhsm(tmp_path):
    if SOFTHSM_MODULE is None or shutil.which("softhsm2-util") is None or shutil.which("pkcs11-tool") is None:
        pytest.fail("SoftHSM2 and OpenSC are required (scripts/setup-test-deps installs them)")
    # A label with the shape of a CloudHSM cluster id, as the API requires: `cluster-` and 11 to 16
    # characters of base32 (letters, digits 2 to 7), 19 to 24 characters in all.
    return SoftHsm(tmp_path / "softhsm", "cluster-" + base64.b32encode(uuid.uuid4().bytes).decode().lower()[:12])


def hsm_server(fresh_server, hsm):
    return fresh_server(extra_env={"SOFTHSM2_CONF": str(hsm.conf)}, extra_args=["--pkcs11-module", SOFTHSM_MODULE])
