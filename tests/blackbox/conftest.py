"""Black-box fixtures: Rampart runs as a real process; real clients talk to it.

Each fixture starts `rampart serve` on a free port with a fresh data directory. The binary is
taken from $RAMPART_BIN (set by scripts/test), else target/debug/rampart.
"""

import json
import os
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import boto3
import botocore.config
import pytest

ROOT = Path(__file__).resolve().parents[2]
BINARY = Path(os.environ.get("RAMPART_BIN", ROOT / "target" / "debug" / "rampart"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A running Rampart process and how to reach it."""

    def __init__(self, data_dir, http=False, extra_env=None, extra_args=()):
        self.data_dir = Path(data_dir)
        self.http = http
        self.extra_env = extra_env or {}
        self.extra_args = list(extra_args)
        self.port = free_port()
        self.proc = None
        self.log_path = self.data_dir.parent / f"{self.data_dir.name}.log"

    @property
    def endpoint(self):
        return f"{'http' if self.http else 'https'}://127.0.0.1:{self.port}"

    @property
    def ca_bundle(self):
        return None if self.http else str(self.data_dir / "tls" / "ca.pem")

    def start(self):
        args = [str(BINARY), "serve", "--data-dir", str(self.data_dir), "--listen", f"127.0.0.1:{self.port}"]
        if self.http:
            args.append("--http")
        args += self.extra_args
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.setdefault("RUST_LOG", "info")
        env.update(self.extra_env)
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"rampart exited with {self.proc.returncode}:\n{self.log_path.read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    if (self.data_dir / "server.json").exists():
                        return self
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"rampart did not start:\n{self.log_path.read_text()}")

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def alive(self):
        return self.proc.poll() is None

    def credentials(self):
        """The root key from DATA_DIR/credentials."""
        keys = {}
        for line in (self.data_dir / "credentials").read_text().splitlines():
            if "=" in line:
                k, v = (p.strip() for p in line.split("=", 1))
                keys[k] = v
        return keys["aws_access_key_id"], keys["aws_secret_access_key"]

    def env(self):
        """The environment `eval "$(rampart env)"` produces, on top of a clean one."""
        out = subprocess.run(
            [str(BINARY), "env", "--data-dir", str(self.data_dir)], check=True, capture_output=True, text=True
        ).stdout
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env["AWS_CONFIG_FILE"] = "/dev/null"
        env["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null"
        for line in out.splitlines():
            if line.startswith("export "):
                k, v = line[len("export ") :].split("=", 1)
                env[k] = v.strip("'")
        return env

    def client(self, service, access_key=None, secret=None, token=None, region="us-east-1"):
        if access_key is None:
            access_key, secret = self.credentials()
        return boto3.session.Session().client(
            service,
            endpoint_url=self.endpoint,
            verify=self.ca_bundle if not self.http else False,
            region_name=region,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret,
            aws_session_token=token,
            config=botocore.config.Config(retries={"max_attempts": 1}),
        )

    def audit_events(self):
        out = subprocess.run(
            [str(BINARY), "audit", "lookup-events", "--data-dir", str(self.data_dir), "--max-results", "100000"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        return [json.loads(line) for line in out.splitlines() if line.strip()]


@pytest.fixture(scope="session")
def workdir():
    with tempfile.TemporaryDirectory(prefix="rampart-bb-") as d:
        yield Path(d)


@pytest.fixture(scope="session")
def server(workdir):
    """One TLS server shared by the read-mostly tests of a worker."""
    s = Server(workdir / "tls-server").start()
    yield s
    s.stop()


@pytest.fixture(scope="session")
def http_server(workdir):
    s = Server(workdir / "http-server", http=True).start()
    yield s
    s.stop()


@pytest.fixture
def fresh_server(tmp_path):
    """A server of the test's own, for tests that restart or kill it."""
    servers = []

    def make(**kw):
        s = Server(tmp_path / f"data{len(servers)}", **kw).start()
        servers.append(s)
        return s

    yield make
    for s in servers:
        s.stop()
