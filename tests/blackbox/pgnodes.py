"""Several Rampart nodes on one PostgreSQL database, for the PostgreSQL-only tests.

The first node bootstraps the account (its data directory gets the root key in `credentials`)
and creates the master key; the others are started with that master key file (--master-key), as
the documentation requires of nodes that share a database, and use the first node's root key.
"""

import threading
import time

import botocore.exceptions

from conftest import Server, drop_database, new_database

# The documented bound: a change committed on one node is enforced by every node within 1 s.
# Tests allow twice that for a loaded 2-core CI machine and report what they measured.
PROPAGATION_BOUND = 1.0
PROPAGATION_ASSERT = 2.0


class Nodes:
    """N nodes on one database; `nodes[0]` bootstrapped it."""

    def __init__(self, root, n=3, store=None, **server_kw):
        """`server_kw` goes to every node's Server (e.g. extra_env, extra_args)."""
        self.root = root
        self.server_kw = server_kw
        root.mkdir(parents=True, exist_ok=True)
        self.store = store or new_database()
        self.own_store = store is None
        self.nodes = []
        first = Server(root / "node0", store=self.store, **server_kw).start()
        self.nodes.append(first)
        for i in range(1, n):
            self.add(f"node{i}")

    @property
    def first(self):
        return self.nodes[0]

    @property
    def master_key(self):
        return self.first.data_dir / "master.key"

    def add(self, name, **kw):
        """Starts another node on the shared database with the shared master key."""
        kw.setdefault("master_key", self.master_key)
        kw = {**self.server_kw, **kw}
        node = Server(self.root / name, store=self.store, credentials_from=self.first, **kw).start()
        self.nodes.append(node)
        return node

    def restart(self, node):
        """A node started again on its data directory (after stop or kill -9)."""
        again = Server(node.data_dir, store=self.store, master_key=node.master_key,
                       credentials_from=node.credentials_from, extra_env=node.extra_env, extra_args=node.extra_args)
        again.start()
        self.nodes[self.nodes.index(node)] = again
        return again

    def store_args(self):
        """--store (and --store-ca-cert) of the shared database, for the CLI's other commands."""
        return self.first.store_args()

    def close(self):
        for node in self.nodes:
            node.stop()
        if self.own_store:
            drop_database(self.store)

    def __iter__(self):
        return iter(self.nodes)

    def __getitem__(self, i):
        return self.nodes[i]


def error_of(fn):
    """(code, HTTP status) of the AWS error `fn()` fails with, or None when it succeeds."""
    try:
        fn()
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]
    return None


def time_until(check, timeout=10.0, interval=0.01):
    """Calls `check()` until it returns true; returns the seconds that took (from the call of
    time_until), or fails after `timeout` with how long it waited."""
    start = time.monotonic()
    while True:
        if check():
            return time.monotonic() - start
        elapsed = time.monotonic() - start
        assert elapsed < timeout, f"the change was still not in force after {elapsed:.1f} s"
        time.sleep(interval)


def run_together(workers):
    """Runs each callable in its own thread, all released at once by a barrier; returns their
    results in order (re-raising the first exception)."""
    barrier = threading.Barrier(len(workers))
    results = [None] * len(workers)
    errors = []

    def run(i, fn):
        try:
            barrier.wait(timeout=60)
            results[i] = fn()
        except BaseException as e:  # noqa: BLE001 - re-raised in the main thread
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    if errors:
        raise errors[0]
    return results
