"""A change that takes effect always has its audit record, whatever the client does after sending
its request (issue: changes without an audit record).

Hundreds of signed mutating calls (IAM CreateUser, DeleteUser, AttachUserPolicy,
DetachUserPolicy; KMS CreateKey, ScheduleKeyDeletion) each abandon their connection at a random
point: in the middle of the body, right after it (RST or FIN), a few milliseconds later, or while
the response is being read; over HTTP/1.1 and HTTP/2 (stream reset or connection reset), TLS and
plain. Then the successful write records of the trail, replayed in order, must give exactly the
users, attachments and keys that exist, and every call must have exactly one record.
"""

import json
import random
import socket
import time
import uuid

import pytest

import hostile
import rawsign

READONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
AUDITOR = "arn:aws:iam::aws:policy/SecurityAudit"
JSON_11 = "application/x-amz-json-1.1"


def iam_request(server, action, **params):
    body = "&".join([f"Action={action}", "Version=2010-05-08"] + [f"{k}={v}" for k, v in params.items()])
    return rawsign.sign(server, body=body, service="iam")


def kms_request(server, op, payload):
    return rawsign.sign(server, body=json.dumps(payload), service="kms",
                        headers={"X-Amz-Target": f"TrentService.{op}", "Content-Type": JSON_11})


# How a call abandons its connection.
HTTP1_MODES = ["mid_body_rst", "mid_body_fin", "after_body_rst", "after_body_fin", "delay_rst",
               "partial_response", "complete"]
H2_MODES = ["mid_body_stream_reset", "stream_reset", "delay_stream_reset", "connection_reset", "complete"]


def send_http1(server, req, mode, rng):
    head, body = hostile.request_bytes(req)
    sock = hostile.connect(server)
    try:
        if mode.startswith("mid_body"):
            sock.sendall(head + body[: rng.randrange(0, max(1, len(body)))])
        else:
            sock.sendall(head + body)
        if mode in ("mid_body_rst", "after_body_rst"):
            hostile.reset(sock)
        elif mode in ("mid_body_fin", "after_body_fin"):
            sock.close()
        elif mode == "delay_rst":
            time.sleep(rng.uniform(0, 0.005))
            hostile.reset(sock)
        elif mode == "partial_response":
            sock.settimeout(5)
            try:
                sock.recv(rng.randrange(1, 40))
            except OSError:
                pass
            hostile.reset(sock)
        else:
            status, _, _ = hostile.read_response(sock)
            sock.close()
            return status
    except OSError:
        pass
    return None


def send_h2(server, conn, req, mode, rng):
    """Returns the connection to use next (a reset one is replaced)."""
    if mode == "mid_body_stream_reset":
        body = req.body.encode() if isinstance(req.body, str) else req.body
        sid = conn.send_request(req, end=False, body=body[: rng.randrange(0, max(1, len(body)))])
        conn.reset_stream(sid)
    elif mode == "stream_reset":
        conn.reset_stream(conn.send_request(req))
    elif mode == "delay_stream_reset":
        sid = conn.send_request(req)
        time.sleep(rng.uniform(0, 0.005))
        conn.reset_stream(sid)
    elif mode == "connection_reset":
        conn.send_request(req)
        hostile.reset(conn.sock)
        return hostile.H2(server)
    else:
        conn.response(conn.send_request(req))
    return conn


@pytest.mark.parametrize("version", ["http1", "h2"])
@pytest.mark.parametrize("transport", ["tls", "plain"])
def test_every_change_that_took_effect_has_its_record(fresh_server, version, transport):
    server = fresh_server(http=transport == "plain")
    rng = random.Random(f"{version}-{transport}")
    kms = server.client("kms")
    pre_keys = [kms.create_key(Description=f"pre-{i}")["KeyMetadata"]["KeyId"] for i in range(8)]
    run = uuid.uuid4().hex[:8]
    names = [f"hx{run}{i}" for i in range(40)]
    h2conn = hostile.H2(server) if version == "h2" else None

    calls = 0
    for i in range(240):
        pick = rng.random()
        name = rng.choice(names)
        if pick < 0.35:
            req = iam_request(server, "CreateUser", UserName=name, Path="/hostile/")
        elif pick < 0.5:
            req = iam_request(server, "DeleteUser", UserName=name)
        elif pick < 0.65:
            req = iam_request(server, "AttachUserPolicy", UserName=name, PolicyArn=rng.choice([READONLY, AUDITOR]))
        elif pick < 0.72:
            req = iam_request(server, "DetachUserPolicy", UserName=name, PolicyArn=rng.choice([READONLY, AUDITOR]))
        elif pick < 0.9:
            req = kms_request(server, "CreateKey", {"Description": f"hostile-{run}-{i}"})
        else:
            req = kms_request(server, "ScheduleKeyDeletion", {"KeyId": rng.choice(pre_keys), "PendingWindowInDays": 7})
        if version == "http1":
            send_http1(server, req, rng.choice(HTTP1_MODES), rng)
        else:
            h2conn = send_h2(server, h2conn, req, rng.choice(H2_MODES), rng)
        calls += 1
    if h2conn:
        h2conn.close()

    # Every abandoned call is still processed to its record; give the last ones time to finish.
    iam = server.client("iam")
    deadline = time.time() + 30
    while True:
        events = server.audit_events()
        ours = [e for e in events if e.get("eventName") in
                ("CreateUser", "DeleteUser", "AttachUserPolicy", "DetachUserPolicy", "ScheduleKeyDeletion")
                or (e.get("eventName") == "CreateKey" and str((e.get("requestParameters") or {}).get("description", "")).startswith("hostile-"))]
        time.sleep(0.5)
        if len(server.audit_events()) == len(events) or time.time() > deadline:
            break

    # Exactly one record per request id, each complete.
    ids = [e["requestID"] for e in events]
    assert len(ids) == len(set(ids)), "a call recorded twice"
    for e in events:
        assert e.get("eventName") and e.get("eventSource") and e.get("eventTime"), e

    # Replay the successful writes in trail order.
    users, created_keys, pending = {}, set(), set()
    for e in ours:
        if e.get("errorCode"):
            continue
        p = e.get("requestParameters") or {}
        n = e["eventName"]
        if n == "CreateUser":
            assert p["userName"] not in users, f"CreateUser succeeded twice for {p['userName']} without a DeleteUser between"
            users[p["userName"]] = set()
        elif n in ("DeleteUser", "AttachUserPolicy", "DetachUserPolicy"):
            assert p["userName"] in users, f"{n} succeeded on {p['userName']}, whose CreateUser has no record"
            if n == "DeleteUser":
                assert users.pop(p["userName"]) == set(), "a user with attached policies was deleted"
            elif n == "AttachUserPolicy":
                users[p["userName"]].add(p["policyArn"])
            else:
                users[p["userName"]].discard(p["policyArn"])
        elif n == "CreateKey":
            created_keys.add(p["description"])
        elif n == "ScheduleKeyDeletion":
            pending.add(p["keyId"])

    actual_users = {u["UserName"]: {a["PolicyArn"] for a in iam.list_attached_user_policies(UserName=u["UserName"])["AttachedPolicies"]}
                    for u in iam.list_users(PathPrefix="/hostile/")["Users"]}
    assert actual_users == users, "IAM state and the audit trail disagree"

    actual_keys, actual_pending = set(), set()
    for page in kms.get_paginator("list_keys").paginate():
        for k in page["Keys"]:
            meta = kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]
            if meta.get("Description", "").startswith(f"hostile-{run}-"):
                actual_keys.add(meta["Description"])
            if meta["KeyState"] == "PendingDeletion":
                actual_pending.add(meta["KeyId"])
    assert actual_keys == created_keys, "KMS keys and the audit trail disagree"
    assert actual_pending == pending, "keys pending deletion and the audit trail disagree"
    # The run made changes of every kind, so the comparison above compared something.
    assert users and created_keys and pending, (len(users), len(created_keys), len(pending))
    assert calls == 240
