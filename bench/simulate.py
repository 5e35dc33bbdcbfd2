#!/usr/bin/env python3
"""What a large policy simulation costs: SimulatePrincipalPolicy with 1,000 actions x 100
resources (a 38 KiB request, 100,000 evaluations in all), page by page.

usage: bench/simulate.py            (BIN: the rampart binary, default target/release/rampart)

Starts its own plain-HTTP server on the embedded store and prints, per kind of call, the median
wall-clock time of ROUNDS calls (default 10) and the server's CPU time per call (user + system,
from /proc, every thread). Build the binary first (`cargo build --release -p rampart`).
"""

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("RAMPART_BIN", str(ROOT / "target" / "release" / "rampart"))
sys.path.insert(0, str(ROOT / "tests" / "blackbox"))

from conftest import Server  # noqa: E402

ROUNDS = int(os.environ.get("ROUNDS", "10"))


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(server, label, call, rounds=ROUNDS):
    walls = []
    cpu0 = cpu_seconds(server.proc.pid)
    for _ in range(rounds):
        started = time.perf_counter()
        result = call()
        walls.append(time.perf_counter() - started)
    cpu = (cpu_seconds(server.proc.pid) - cpu0) / rounds
    print(f"{label:<58} {statistics.median(walls) * 1000:9.1f} ms wall {cpu * 1000:9.1f} ms server CPU")
    return result


def main():
    print(f"binary: {os.environ['RAMPART_BIN']}")
    with tempfile.TemporaryDirectory(prefix="rampart-bench-sim-") as d:
        server = Server(Path(d) / "data", http=True, store=None).start()
        try:
            iam = server.client("iam")
            iam.create_user(UserName="sim")
            iam.put_user_policy(UserName="sim", PolicyName="p", PolicyDocument=json.dumps({
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:GetObject1*", "Resource": "arn:aws:s3:::bucket/*"},
                              {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}]}))
            arn = iam.get_user(UserName="sim")["User"]["Arn"]
            args = dict(PolicySourceArn=arn, ActionNames=[f"s3:GetObject{i}" for i in range(1000)],
                        ResourceArns=[f"arn:aws:s3:::bucket/object-{i}" for i in range(100)])
            page = measure(server, "1000 x 100, first page (MaxItems default 100)",
                           lambda: iam.simulate_principal_policy(**args))
            measure(server, "1000 x 100, first page, MaxItems=1000",
                    lambda: iam.simulate_principal_policy(**args, MaxItems=1000))
            measure(server, "1000 x 100, second page by Marker",
                    lambda: iam.simulate_principal_policy(**args, Marker=page["Marker"]))

            def everything():
                pages = iam.get_paginator("simulate_principal_policy").paginate(**args, PaginationConfig={"PageSize": 1000})
                return sum(len(p["EvaluationResults"]) for p in pages)
            total = measure(server, "1000 x 100, all 100,000 results (100 pages of 1000)", everything, rounds=1)
            assert total == 100_000, total

            heavy = json.dumps({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": [f"s3:GetObject{i}" for i in range(5000)], "Resource": "*"}]})
            custom = dict(PolicyInputList=[heavy], ActionNames=[f"s3:PutObject{i}" for i in range(1000)])
            page = measure(server, "custom policy of 5,000 actions, one page (MaxItems=1000)",
                           lambda: iam.simulate_custom_policy(**custom, MaxItems=1000))
            print(f"  (that page held {len(page['EvaluationResults'])} results: the per-page work budget)")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
