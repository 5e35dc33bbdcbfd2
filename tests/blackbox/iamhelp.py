"""Helpers for IAM tests: make users with keys and policies, and clients acting as them."""

import json
import subprocess
import time
import uuid

import boto3
import botocore.config
import botocore.exceptions
import pytest

from conftest import BINARY

ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*", **extra):
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action, resource="*", **extra):
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def client_for(server, service, creds):
    return server.client(service, access_key=creds["AccessKeyId"], secret=creds["SecretAccessKey"],
                         token=creds.get("SessionToken"))


def new_user(server, iam=None, inline=None, managed=(), groups=(), tags=None, boundary=None):
    """A user with an access key; returns (name, creds)."""
    iam = iam or server.client("iam")
    name = unique("user")
    kw = {"UserName": name}
    if tags:
        kw["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
    if boundary:
        kw["PermissionsBoundary"] = boundary
    iam.create_user(**kw)
    if inline:
        iam.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=inline)
    for arn in managed:
        iam.attach_user_policy(UserName=name, PolicyArn=arn)
    for g in groups:
        iam.add_user_to_group(GroupName=g, UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return name, {"AccessKeyId": key["AccessKeyId"], "SecretAccessKey": key["SecretAccessKey"]}


def denied(fn, code="AccessDenied"):
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        fn()
    assert exc.value.response["Error"]["Code"] == code, exc.value.response["Error"]
    return exc.value.response["Error"]


def error_code(fn):
    try:
        fn()
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"]
    return None


def create_account(server):
    if server.store:
        where = server.store_args() + ["--master-key", str(server.master_key or server.data_dir / "master.key")]
    else:
        where = ["--data-dir", str(server.data_dir)]
    out = subprocess.run([str(BINARY), "account", "create", *where],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def eventually(check, timeout=5):
    deadline = time.time() + timeout
    while True:
        try:
            return check()
        except AssertionError:
            if time.time() > deadline:
                raise
            time.sleep(0.1)
