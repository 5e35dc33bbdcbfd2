"""What an unauthenticated or hostile client can hold, and what it can make Rampart write.

Idle connections (before a first byte, after a TLS handshake, in a partial HTTP/2 preface,
between requests) are closed after the idle timeout; trickled bodies are cut off; a declared
length over the limit and an unknown key are refused from the headers, without reading the body
and without `100 Continue`; buffered bodies share one memory cap; connections are capped; the
audit record of a hostile request is bounded; a credential scope naming a region Rampart does not
serve is refused.
"""

import json
import socket
import threading
import time

import pytest

import hostile
import rawsign

JSON_11 = "application/x-amz-json-1.1"
IDLE = 2  # --idle-timeout-secs of the servers below
# How long after IDLE a silent connection may still be open: the watchdog's 1 s tick, the 2 s
# grace of a graceful close, and scheduling slack.
SLACK = 4


@pytest.fixture(params=["tls", "plain"])
def transport(request):
    return request.param


@pytest.fixture
def idle_server(fresh_server, transport):
    return fresh_server(http=transport == "plain", extra_args=["--idle-timeout-secs", str(IDLE)])


def kms_list_keys(server, key=None, secret=None, headers=None, body="{}"):
    return rawsign.sign(server, body=body, service="kms", key=key, secret=secret,
                        headers={"X-Amz-Target": "TrentService.ListKeys", "Content-Type": JSON_11, **(headers or {})})


def test_silent_connections_are_closed_after_the_idle_timeout(idle_server):
    server = idle_server
    socks = []
    for _ in range(50):
        # TCP (and, on TLS, a completed handshake) and then nothing.
        socks.append(hostile.connect(server))
        # Half an HTTP/2 preface.
        s = hostile.connect(server, alpn=["h2"])
        s.sendall(hostile.H2_PREFACE[:10])
        socks.append(s)
        # The whole preface and SETTINGS, then nothing.
        s = hostile.connect(server, alpn=["h2"])
        s.sendall(hostile.H2_PREFACE + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00")
        socks.append(s)
    time.sleep(1)  # every connection accepted
    files_with_them = hostile.open_files(server.proc.pid)
    start = time.time()
    results = [None] * len(socks)

    def watch(i, s):
        results[i] = hostile.closed_by_peer(s, IDLE + SLACK)

    threads = [threading.Thread(target=watch, args=(i, s)) for i, s in enumerate(socks)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(results), f"{results.count(False)} of {len(socks)} silent connections still open after {time.time() - start:.1f} s"
    for s in socks:
        s.close()
    time.sleep(0.5)
    assert hostile.open_files(server.proc.pid) < files_with_them - 100, "the server kept the closed connections' files"
    # And good clients are served as before.
    assert server.client("sts").get_caller_identity()["Account"]


def test_a_connection_idle_between_requests_is_closed(idle_server):
    server = idle_server
    sock = hostile.connect(server)
    head, body = hostile.request_bytes(rawsign.sign(server))
    sock.sendall(head + body)
    status, headers, _ = hostile.read_response(sock)
    assert status == 200
    assert hostile.closed_by_peer(sock, IDLE + SLACK), "a keep-alive connection stayed open while idle"


@pytest.mark.parametrize("version", ["http1", "h2"])
def test_a_trickled_body_is_cut_off(idle_server, version):
    """1 byte a second is far below the minimum rate: the call is refused within the grace period
    (5 s) plus slack, not held for as long as the client likes."""
    server = idle_server
    req = rawsign.sign(server, body="Action=GetCallerIdentity&Version=2011-06-15&" + "x=" + "y" * 200)
    start = time.time()
    if version == "http1":
        sock = hostile.connect(server)
        head, body = hostile.request_bytes(req)
        sock.sendall(head)
        answered = None
        for i in range(len(body)):
            try:
                sock.sendall(body[i:i + 1])
            except OSError:
                break
            sock.settimeout(1)
            try:
                data = sock.recv(65536)
            except (socket.timeout, TimeoutError):
                continue
            except OSError:
                break
            answered = data
            break
        assert answered is None or answered.startswith(b"HTTP/1.1 400"), answered[:200]
        if answered:
            assert b"RequestTimeout" in answered
    else:
        conn = hostile.H2(server)
        sid = conn.send_request(req, end=False, body=b"A")
        status, data = conn.response(sid, timeout=15)
        assert status == 400 and b"RequestTimeout" in data, (status, data)
    assert time.time() - start < 12, "a trickled body was held too long"


@pytest.mark.parametrize("expect", [False, True])
def test_a_declared_length_over_the_limit_is_refused_from_the_header(server, http_server, expect):
    for srv in (server, http_server):
        req = rawsign.sign(srv)
        head, _ = hostile.request_bytes(req)
        head = head.replace(b"Content-Length: 43", b"Content-Length: 104857600")
        if expect:
            head = head.replace(b"\r\n\r\n", b"\r\nExpect: 100-continue\r\n\r\n")
        sock = hostile.connect(srv)
        start = time.time()
        sock.sendall(head)
        status, headers, body = hostile.read_response(sock, deadline=5)
        assert status == 413, (status, body)
        assert b"RequestEntityTooLarge" in body
        assert time.time() - start < 1.5, "the refusal waited for a body"
        sock.close()


def test_h2_declared_length_over_the_limit_is_refused_at_once(server):
    conn = hostile.H2(server)
    req = rawsign.sign(server)
    payload = req.body if isinstance(req.body, bytes) else req.body.encode()
    url_path = "/"
    sid = conn.conn.get_next_available_stream_id()
    headers = [(":method", "POST"), (":path", url_path), (":scheme", "https"), (":authority", conn.authority)]
    headers += [(k.lower(), v.decode() if isinstance(v, bytes) else v) for k, v in req.headers.items()
                if k.lower() not in ("host", "content-length")]
    headers.append(("content-length", "104857600"))
    conn.conn.send_headers(sid, headers, end_stream=False)
    conn.conn.send_data(sid, payload, end_stream=False)
    conn.flush()
    start = time.time()
    status, body = conn.response(sid, timeout=5)
    assert status == 413 and time.time() - start < 1.5, (status, body)


def test_expect_100_continue_gets_the_final_answer_when_the_headers_decide(server):
    # An unknown key: refused without 100 Continue, the body never asked for.
    req = rawsign.sign(server, key="AKIAUNKNOWNKEY000000", secret="x" * 40)
    head, body = hostile.request_bytes(req)
    sock = hostile.connect(server)
    sock.sendall(head.replace(b"\r\n\r\n", b"\r\nExpect: 100-continue\r\n\r\n"))
    status, _, resp = hostile.read_response(sock, deadline=5)
    assert status == 403 and b"InvalidClientTokenId" in resp, (status, resp)
    sock.close()
    # A good request: 100 Continue, then the body, then 200.
    req = rawsign.sign(server)
    head, body = hostile.request_bytes(req)
    sock = hostile.connect(server)
    sock.sendall(head.replace(b"\r\n\r\n", b"\r\nExpect: 100-continue\r\n\r\n"))
    sock.settimeout(5)
    interim = sock.recv(4096)
    assert interim.startswith(b"HTTP/1.1 100"), interim
    sock.sendall(body)
    status, _, resp = hostile.read_response(sock, deadline=5)
    assert status == 200, resp
    sock.close()


def test_unknown_keys_with_large_declared_bodies_hold_no_memory(fresh_server):
    server = fresh_server()
    pid = server.proc.pid
    before = hostile.rss_kib(pid)
    socks = []
    for i in range(100):
        req = kms_list_keys(server, key=f"AKIAUNKNOWN{i:09d}", secret="x" * 40)
        head, _ = hostile.request_bytes(req)
        head = head.replace(b"Content-Length: 2", f"Content-Length: {1 << 20}".encode())
        s = hostile.connect(server)
        s.sendall(head)
        try:
            s.sendall(b"{" + b" " * ((1 << 20) - 2))
        except OSError:
            pass  # refused (and closed) before the client finished: fine
        socks.append(s)
    for s in socks:
        status, _, body = hostile.read_response(s, deadline=5)
        assert status == 400 and b"UnrecognizedClientException" in body, (status, body[:200])
        s.close()
    grown = hostile.rss_kib(pid) - before
    assert grown < 30 * 1024, f"RSS grew by {grown} KiB for bodies that were never needed"


def test_buffered_bodies_share_one_memory_cap(fresh_server):
    """Bodies that stop one byte short: at most --max-buffered-body-bytes of them is held, the rest
    are refused as throttled, and every one is answered."""
    server = fresh_server(extra_args=["--max-buffered-body-bytes", str(4 << 20)])
    pid = server.proc.pid
    before = hostile.rss_kib(pid)
    socks = []
    for _ in range(12):
        req = kms_list_keys(server)
        head, _ = hostile.request_bytes(req)
        head = head.replace(b"Content-Length: 2", f"Content-Length: {1 << 20}".encode())
        s = hostile.connect(server)
        s.sendall(head)
        socks.append(s)
    senders = [threading.Thread(target=lambda s=s: _send_quietly(s, b"{" + b" " * ((1 << 20) - 2))) for s in socks]
    for t in senders:
        t.start()
    for t in senders:
        t.join()
    answers = []
    for s in socks:
        status, _, body = hostile.read_response(s, deadline=20)
        answers.append((status, json.loads(body or b"{}").get("__type")))
        s.close()
    codes = {a[1] for a in answers}
    assert all(a[0] == 400 for a in answers), answers
    assert codes <= {"ThrottlingException", "RequestTimeout"} and "ThrottlingException" in codes, answers
    assert hostile.rss_kib(pid) - before < 40 * 1024
    log = server.log_path.read_text()
    assert "buffered request bodies reached their memory cap" in log


def _send_quietly(sock, data):
    try:
        sock.sendall(data)
    except OSError:
        pass


def test_the_connection_cap_makes_new_clients_wait(fresh_server):
    server = fresh_server(http=True, extra_args=["--max-connections", "20"])
    idle = [hostile.connect(server) for _ in range(20)]
    time.sleep(0.3)
    result = {}

    def call():
        result["account"] = server.client("sts").get_caller_identity()["Account"]

    t = threading.Thread(target=call)
    t.start()
    time.sleep(1.5)
    assert "account" not in result, "a 21st connection was served over the cap"
    for s in idle:
        s.close()
    t.join(timeout=15)
    assert result.get("account"), "the waiting client was not served once connections closed"
    assert "connection limit reached" in server.log_path.read_text()


def test_a_hostile_unauthenticated_request_costs_a_bounded_audit_record(fresh_server):
    server = fresh_server(http=True)
    for _ in range(20):
        # About 100 KiB of head: under the 128 KiB limit on request heads, so it reaches the pipeline.
        req = rawsign.sign(server, key="AKIAUNKNOWNKEY000000", secret="x" * 40, region="zz-" + "q" * 50_000,
                           headers={"User-Agent": "u" * 50_000})
        r = rawsign.send(server, req)
        assert r.status == 403, r
    events = [e for e in server.audit_events() if (e.get("userIdentity") or {}).get("accessKeyId") == "AKIAUNKNOWNKEY000000"]
    assert len(events) == 20
    for e in events:
        assert len(json.dumps(e)) < 4096, len(json.dumps(e))
        assert e["omitted"] is True
        assert len(e["userAgent"]) <= 1024 and len(e["awsRegion"]) <= 64


def test_a_request_head_over_128_kib_is_refused_before_the_pipeline(http_server):
    req = rawsign.sign(http_server, headers={"User-Agent": "u" * 200_000})
    r = rawsign.send(http_server, req)
    assert r.status == 431, r
    assert rawsign.send(http_server, rawsign.sign(http_server)).status == 200


@pytest.mark.parametrize("service,region,status,code", [
    ("iam", "eu-west-1", 403, "SignatureDoesNotMatch"),
    ("sts", "zz-fake-9", 403, "SignatureDoesNotMatch"),
    ("kms", "us-west-2", 400, "InvalidSignatureException"),
])
def test_a_credential_scope_for_a_region_not_served_is_refused(server, http_server, service, region, status, code):
    for srv in (server, http_server):
        if service == "kms":
            req = rawsign.sign(srv, body="{}", service="kms", region=region,
                               headers={"X-Amz-Target": "TrentService.ListKeys", "Content-Type": JSON_11})
        elif service == "iam":
            req = rawsign.sign(srv, body="Action=ListUsers&Version=2010-05-08", service="iam", region=region)
        else:
            req = rawsign.sign(srv, service="sts", region=region)
        r = rawsign.send(srv, req)
        assert (r.status, r.error_code()) == (status, code), r
        assert b"Credential should be scoped to a valid region" in r.body


def test_the_served_region_and_the_global_signing_region_work(server):
    # IAM and STS are also signed for us-east-1 (their global endpoint); the server serves us-east-1.
    for service, body in (("iam", "Action=ListUsers&Version=2010-05-08"), ("sts", rawsign.STS_BODY)):
        assert rawsign.send(server, rawsign.sign(server, body=body, service=service)).status == 200


def test_a_service_not_served_is_named_cleanly(server):
    req = rawsign.sign(server, body="{}", service="cloudtrail",
                       headers={"X-Amz-Target": "CloudTrail_20131101.DescribeTrails", "Content-Type": JSON_11})
    r = rawsign.send(server, req)
    assert r.status == 400 and r.error_code() == "UnknownOperationException", r
    assert json.loads(r.body)["message"] == "Rampart does not serve the service `cloudtrail`."
