#!/usr/bin/env python3
"""Holds hostile connections open against a server for a while, reopening each one the server
closes, and prints how many it holds and how many the server closed.

Kinds (counts from the command line): `idle` connect and send nothing; `slow` send a correctly
signed STS request head (key from $RAMPART_ROOT_ACCESS_KEY_ID / $RAMPART_ROOT_SECRET_ACCESS_KEY)
declaring a 4 KiB body, then trickle the body at 1 byte a second; `preface` send half an HTTP/2
preface. Plain HTTP.

usage: hostile_clients.py HOST PORT SECONDS IDLE SLOW PREFACE
Loopback only: it refuses any other host.
"""

import asyncio
import ipaddress
import sys
import os
import time

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

SLOW_BODY = "Action=GetCallerIdentity&Version=2011-06-15&pad=" + "x" * 4048


def slow_head(host, port):
    """A correctly signed request head for SLOW_BODY: the server must read the body to check it."""
    req = AWSRequest(method="POST", url=f"http://{host}:{port}/", data=SLOW_BODY,
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    creds = Credentials(os.environ["RAMPART_ROOT_ACCESS_KEY_ID"], os.environ["RAMPART_ROOT_SECRET_ACCESS_KEY"])
    SigV4Auth(creds, "sts", "us-east-1").add_auth(req)
    lines = ["POST / HTTP/1.1", f"Host: {host}:{port}"]
    lines += [f"{k}: {v}" for k, v in req.headers.items() if k.lower() != "host"]
    lines.append(f"Content-Length: {len(SLOW_BODY)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()

stats = {"open": 0, "closed_by_server": 0, "connect_failed": 0}


async def one(host, port, kind, stop_at):
    while time.time() < stop_at:
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 10)
        except (OSError, asyncio.TimeoutError):
            stats["connect_failed"] += 1
            await asyncio.sleep(1)
            continue
        stats["open"] += 1
        try:
            if kind == "slow":
                writer.write(slow_head(host, port))
            elif kind == "preface":
                writer.write(b"PRI * HTTP/2.0\r\n")
            await writer.drain()
            while time.time() < stop_at:
                if kind == "slow":
                    writer.write(b"x")
                    await writer.drain()
                try:
                    data = await asyncio.wait_for(reader.read(65536), 1)
                except asyncio.TimeoutError:
                    continue
                if not data:
                    stats["closed_by_server"] += 1
                    break
        except (OSError, ConnectionError):
            stats["closed_by_server"] += 1
        finally:
            stats["open"] -= 1
            writer.close()


async def main():
    host, port, seconds, idle, slow, preface = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), *map(int, sys.argv[4:7])
    if not ipaddress.ip_address(host).is_loopback:
        sys.exit("hostile_clients.py only targets loopback addresses")
    stop_at = time.time() + seconds
    tasks = [asyncio.create_task(one(host, port, k, stop_at))
             for k, n in (("idle", idle), ("slow", slow), ("preface", preface)) for _ in range(n)]
    while time.time() < stop_at:
        await asyncio.sleep(min(30, max(0.1, stop_at - time.time())))
        print(f"  hostile: {stats['open']} open, {stats['closed_by_server']} closed by the server so far, "
              f"{stats['connect_failed']} connects failed", flush=True)
    await asyncio.gather(*tasks, return_exceptions=True)


asyncio.run(main())
