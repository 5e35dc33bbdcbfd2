#!/usr/bin/env python3
"""Writes a wrk Lua script that replays one botocore-signed request.

The same signed bytes go to every server in a run, so the comparison is of the servers, not of
the clients. The signature is valid for 15 minutes (AWS's clock-skew window), longer than a run.

usage: sign_request.py OUT.lua ENDPOINT ACCESS_KEY SECRET SERVICE BODY [X-Amz-Target] [content-type]
"""

import sys

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def lua_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def main():
    out, endpoint, key, secret, service, body = sys.argv[1:7]
    target = sys.argv[7] if len(sys.argv) > 7 and sys.argv[7] else None
    ctype = sys.argv[8] if len(sys.argv) > 8 else "application/x-www-form-urlencoded; charset=utf-8"
    headers = {"Content-Type": ctype, "User-Agent": "rampart-bench/1"}
    if target:
        headers["X-Amz-Target"] = target
    req = AWSRequest(method="POST", url=endpoint + "/", data=body, headers=headers)
    SigV4Auth(Credentials(key, secret), service, "us-east-1").add_auth(req)
    lines = ['wrk.method = "POST"', f"wrk.body = {lua_str(body)}"]
    for k, v in req.headers.items():
        lines.append(f"wrk.headers[{lua_str(k)}] = {lua_str(v)}")
    lines.append("""
done = function(summary, latency, requests)
  local codes = summary.errors.status
  io.write(string.format("non2xx=%d\\n", codes))
end""")
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
