"""Black-box fixtures: Rampart runs as a real process; real clients talk to it.

Each fixture starts `rampart serve` on a free port with a fresh data directory. The binary is
taken from $RAMPART_BIN (set by scripts/test), else target/debug/rampart.

With $RAMPART_TEST_PG_URL set (the base URL of a PostgreSQL cluster without a database, as
`scripts/pg-test-server start` prints it, with $RAMPART_TEST_PG_CA its CA certificate), every
server keeps its state and audit log in PostgreSQL instead: a database of its own, named after
its data directory (so a server restarted on the same data directory finds its state again),
reached over TLS (`--store URL?sslmode=require --store-ca-cert CA`). Without it nothing changes:
the embedded SQLite store in the data directory, as in production by default.
"""

import base64
import hashlib
import json
import os
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import boto3
import botocore.config
import pytest

ROOT = Path(__file__).resolve().parents[2]
BINARY = Path(os.environ.get("RAMPART_BIN", ROOT / "target" / "debug" / "rampart"))


# The PostgreSQL cluster of the PostgreSQL-store run, if this is one.
PG_URL = (os.environ.get("RAMPART_TEST_PG_URL") or "").rstrip("/") or None
PG_CA = os.environ.get("RAMPART_TEST_PG_CA")

requires_pg = pytest.mark.skipif(
    PG_URL is None, reason="PostgreSQL store only: needs RAMPART_TEST_PG_URL (scripts/test sets it for its second run)")

# `Server(store=AUTO)`: PostgreSQL when this is a PostgreSQL run, else the embedded store.
AUTO = "auto"


def pg_store_url(database, sslmode="require"):
    """The --store URL of a database of the test cluster."""
    return f"{PG_URL}/{database}?sslmode={sslmode}"


def _libpq_url(store_url):
    """A --store URL as psql/pg_dump take it: TLS, with the server certificate verified."""
    base = store_url.split("?", 1)[0]
    return f"{base}?sslmode=verify-full&sslrootcert={PG_CA}" if PG_CA else f"{base}?sslmode=require"


def psql(sql, store_url=None):
    """Runs SQL as the test cluster's `rampart` user (on the `postgres` database unless a store
    URL is given) and returns its unaligned output."""
    url = store_url or pg_store_url("postgres")
    out = subprocess.run(["psql", "-qAtX", "-v", "ON_ERROR_STOP=1", _libpq_url(url), "-c", sql],
                         capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise RuntimeError(f"psql failed: {out.stderr}")
    return out.stdout


def new_database(name=None):
    """Creates an empty database on the test cluster (a unique one unless named) and returns its
    --store URL. An existing database of that name is kept as it is."""
    name = name or f"rb_{uuid.uuid4().hex[:16]}"
    if not psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'").strip():
        try:
            psql(f'CREATE DATABASE "{name}"')
        except RuntimeError as e:
            if "already exists" not in str(e):
                raise
    return pg_store_url(name)


def drop_database(store_url):
    name = store_url.split("?", 1)[0].rsplit("/", 1)[1]
    psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_dump(store_url):
    """Everything a database dump of that store shows (schema and data, large objects included)."""
    out = subprocess.run(["pg_dump", "--no-owner", "--no-privileges", "-d", _libpq_url(store_url)],
                         capture_output=True, timeout=120)
    if out.returncode != 0:
        raise RuntimeError(f"pg_dump failed: {out.stderr.decode()}")
    return out.stdout


def encodings(secret):
    """The ways a secret could show in a dump: raw, hex (bytea's text form), base64 (JSON's usual
    form for bytes; at each of the three alignments it can have inside a longer value)."""
    if isinstance(secret, str):
        secret = secret.encode()
    forms = {secret, secret.hex().encode(), secret.hex().upper().encode()}
    for shift in range(3):
        for enc in (base64.b64encode, base64.urlsafe_b64encode):
            b64 = enc(b"\0" * shift + secret).rstrip(b"=")
            # Drop the characters that also depend on the neighbouring bytes.
            inner = b64[(shift * 4 + 2) // 3 + 1 : -2]
            if len(inner) >= 16:
                forms.add(inner)
    return forms


def assert_not_in_dump(dump, secret, what):
    for form in encodings(secret):
        assert form not in dump, f"{what} found in the database dump (as {form[:24]!r}...)"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A running Rampart process and how to reach it."""

    def __init__(self, data_dir, http=False, extra_env=None, extra_args=(), store=AUTO, master_key=None,
                 credentials_from=None, store_ca_cert=AUTO):
        """`store`: a --store URL, None for the embedded store, AUTO (default) for a database of
        this data directory's own in a PostgreSQL run and the embedded store otherwise.
        `store_ca_cert`: the --store-ca-cert file (default: the test cluster's CA; None: none).
        `master_key`: a --master-key file (default: DATA_DIR/master.key).
        `credentials_from`: the server whose data directory holds the root key (the node that
        bootstrapped a shared database); default this one."""
        self.data_dir = Path(data_dir)
        self.http = http
        self.extra_env = extra_env or {}
        self.extra_args = list(extra_args)
        self.own_database = store == AUTO and PG_URL is not None
        if store == AUTO:
            # Named after the data directory: a restart on the same directory finds the same state.
            digest = hashlib.sha256(str(self.data_dir.resolve()).encode()).hexdigest()[:20]
            store = pg_store_url(f"rb_{digest}") if PG_URL else None
        self.store = store
        self.master_key = Path(master_key) if master_key else None
        self.credentials_from = credentials_from
        self.store_ca_cert = PG_CA if store_ca_cert == AUTO else store_ca_cert
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
        if self.own_database:
            new_database(self.store.split("?", 1)[0].rsplit("/", 1)[1])
        args += self.store_args()
        if self.master_key:
            args += ["--master-key", str(self.master_key)]
        args += self.extra_args
        # Neither AWS client settings nor a store chosen in the caller's environment leak in:
        # the store is what this Server says.
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("AWS_") and k not in ("RAMPART_STORE", "RAMPART_STORE_CA_CERT")}
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

    def store_args(self):
        """--store (and --store-ca-cert) for this server's store; nothing for the embedded one."""
        if self.store is None:
            return []
        return ["--store", self.store] + (["--store-ca-cert", str(self.store_ca_cert)] if self.store_ca_cert else [])

    def drop_database(self):
        """Drops the database made for this server (nothing for a store it was given)."""
        if self.own_database:
            drop_database(self.store)

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
        """The root key from DATA_DIR/credentials (of the bootstrapping node if given)."""
        if self.credentials_from is not None:
            return self.credentials_from.credentials()
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
        where = self.store_args() if self.store else ["--data-dir", str(self.data_dir)]
        return audit_events(where)


def audit_events(where):
    """`rampart audit lookup-events` of a store (`--store URL ...` or `--data-dir DIR`), parsed."""
    out = subprocess.run(
        [str(BINARY), "audit", "lookup-events", *where, "--max-results", "100000"],
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        raise RuntimeError(f"rampart audit lookup-events failed ({out.returncode}): {out.stderr}")
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


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
    s.drop_database()


@pytest.fixture(scope="session")
def http_server(workdir):
    s = Server(workdir / "http-server", http=True).start()
    yield s
    s.stop()
    s.drop_database()


@pytest.fixture(scope="module")
def iam(server):
    """An IAM client of the shared TLS server, as root (a test module may define its own)."""
    return server.client("iam")


@pytest.fixture(scope="module")
def account(server):
    """The shared server's account id."""
    return server.client("sts").get_caller_identity()["Account"]


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
    for s in servers:
        s.drop_database()
