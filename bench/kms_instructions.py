#!/usr/bin/env python3
"""Drives a Rampart server running under callgrind (bench/kms_instructions.sh): for Encrypt,
Decrypt and GenerateDataKey in turn, warms up, zeroes callgrind's counters, sends N identical
signed requests one after the other on one keep-alive connection, dumps the counters and prints
the instructions per call.

usage: kms_instructions.py ENDPOINT VALGRIND_PID N OUT_DIR
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


def main():
    endpoint, pid, n, out_dir = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    key, secret = os.environ["RAMPART_ROOT_ACCESS_KEY_ID"], os.environ["RAMPART_ROOT_SECRET_ACCESS_KEY"]
    kms = boto3.client("kms", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=key,
                       aws_secret_access_key=secret)
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    plaintext = os.urandom(1024)
    blob = kms.encrypt(KeyId=key_id, Plaintext=plaintext)["CiphertextBlob"]
    operations = {
        "Encrypt": {"KeyId": key_id, "Plaintext": base64.b64encode(plaintext).decode()},
        "Decrypt": {"CiphertextBlob": base64.b64encode(blob).decode()},
        "GenerateDataKey": {"KeyId": key_id, "KeySpec": "AES_256"},
    }
    conn = http.client.HTTPConnection(endpoint.split("//", 1)[1])
    print(f"instructions per call, {n} sequential calls each (callgrind, whole server process)")
    for op, body in operations.items():
        body = json.dumps(body)
        req = AWSRequest(method="POST", url=endpoint + "/", data=body, headers={
            "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"TrentService.{op}",
            "User-Agent": "rampart-bench/1"})
        SigV4Auth(Credentials(key, secret), "kms", "us-east-1").add_auth(req)
        headers = dict(req.headers.items())

        def send(count):
            for _ in range(count):
                conn.request("POST", "/", body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                if response.status != 200:
                    raise SystemExit(f"{op} answered {response.status}: {data[:300]!r}")

        send(50)
        before = set(glob.glob(f"{out_dir}/callgrind.out.*"))
        subprocess.run(["callgrind_control", "-z", pid], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        send(n)
        subprocess.run(["callgrind_control", "-d", op, pid], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        (dump,) = set(glob.glob(f"{out_dir}/callgrind.out.*")) - before
        total = next(int(line.split()[1]) for line in open(dump) if line.startswith(("summary:", "totals:")))
        print(f"{op:16} {total / n:10,.0f}")


if __name__ == "__main__":
    main()
