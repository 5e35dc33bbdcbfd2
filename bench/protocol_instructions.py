#!/usr/bin/env python3
"""Drives a Rampart server running under callgrind (bench/protocol_instructions.sh): for each of
STS GetCallerIdentity, IAM GetUser and KMS Encrypt (1 KiB) in turn, warms up, zeroes callgrind's
counters, sends N identical signed requests one after the other on one keep-alive connection,
dumps the counters and prints the instructions per call as one JSON object on the last line.

usage: protocol_instructions.py ENDPOINT VALGRIND_PID N OUT_DIR
"""

import base64
import glob
import http.client
import json
import os
import subprocess
import sys

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def total_instructions(dump):
    with open(dump) as f:
        for line in f:
            if line.startswith("summary:") or line.startswith("totals:"):
                return int(line.split()[1])
    raise SystemExit(f"no totals in {dump}")


def main():
    endpoint, pid, n, out_dir = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    key, secret = os.environ["RAMPART_ROOT_ACCESS_KEY_ID"], os.environ["RAMPART_ROOT_SECRET_ACCESS_KEY"]
    session = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=key, aws_secret_access_key=secret)
    kms = boto3.client("kms", **session)
    iam = boto3.client("iam", **session)
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    iam.create_user(UserName="bench-user", Tags=[{"Key": "team", "Value": "bench"}])
    plaintext = os.urandom(1024)
    calls = {
        "sts:GetCallerIdentity": ("sts", "application/x-www-form-urlencoded; charset=utf-8", None,
                                  "Action=GetCallerIdentity&Version=2011-06-15"),
        "iam:GetUser": ("iam", "application/x-www-form-urlencoded; charset=utf-8", None,
                        "Action=GetUser&Version=2010-05-08&UserName=bench-user"),
        "kms:Encrypt": ("kms", "application/x-amz-json-1.1", "TrentService.Encrypt",
                        json.dumps({"KeyId": key_id, "Plaintext": base64.b64encode(plaintext).decode()})),
    }
    conn = http.client.HTTPConnection(endpoint.split("//", 1)[1])
    result = {}
    for name, (service, content_type, target, body) in calls.items():
        headers = {"Content-Type": content_type, "User-Agent": "rampart-bench/1"}
        if target:
            headers["X-Amz-Target"] = target
        req = AWSRequest(method="POST", url=endpoint + "/", data=body, headers=headers)
        SigV4Auth(Credentials(key, secret), service, "us-east-1").add_auth(req)
        signed = dict(req.headers.items())

        def send(count):
            for _ in range(count):
                conn.request("POST", "/", body=body, headers=signed)
                response = conn.getresponse()
                data = response.read()
                if response.status != 200:
                    raise SystemExit(f"{name} answered {response.status}: {data[:300]!r}")

        send(50)
        before = set(glob.glob(f"{out_dir}/callgrind.out.*"))
        subprocess.run(["callgrind_control", "-z", pid], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        send(n)
        subprocess.run(["callgrind_control", "-d", name.replace(":", "-"), pid], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        dumps = set(glob.glob(f"{out_dir}/callgrind.out.*")) - before
        result[name] = sum(total_instructions(d) for d in dumps) // n
    print(json.dumps(result))


if __name__ == "__main__":
    main()
