"""The official AWS SDK for JavaScript v3 against Rampart, over TLS and plain HTTP."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

SDK_DIR = Path(__file__).resolve().parents[1] / "sdk-js"

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or not (SDK_DIR / "node_modules").is_dir(),
    reason="node or the JS SDK is not installed (scripts/setup-test-deps installs it)",
)


@pytest.mark.parametrize("mode", ["tls", "http"])
def test_js_sdk(server, http_server, mode):
    s = server if mode == "tls" else http_server
    env = s.env()
    if s.ca_bundle:
        env["NODE_EXTRA_CA_CERTS"] = s.ca_bundle
    out = subprocess.run(["node", "check.mjs"], cwd=SDK_DIR, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout)
    account = seen["identity"]["Account"]
    assert seen["identity"]["Arn"] == f"arn:aws:iam::{account}:root"
    assert seen["userArn"].startswith(f"arn:aws:iam::{account}:user/js-")
    assert seen["denied"] == {"name": "AccessDenied", "status": 403}
