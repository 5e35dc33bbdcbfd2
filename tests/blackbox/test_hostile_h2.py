"""The strictness checks of the hardening issue, over HTTP/2 (ALPN on TLS, prior knowledge on plain
HTTP): the same refusals as over HTTP/1.1, since the pipeline sees the same request whatever the
framing."""

import json
import xml.etree.ElementTree as ET

import pytest

import hostile
import rawsign

JSON_11 = "application/x-amz-json-1.1"


@pytest.fixture(params=["tls", "plain"])
def srv(request, server, http_server):
    return server if request.param == "tls" else http_server


def error_code(body):
    text = body.decode("utf-8", "replace")
    if text.lstrip().startswith("{"):
        return json.loads(text).get("__type")
    for el in ET.fromstring(text).iter():
        if el.tag.split("}")[-1] == "Code":
            return el.text
    return None


def h2_send(server, req, extra_headers=()):
    conn = hostile.H2(server)
    try:
        if extra_headers:
            # Send the request by hand, with headers added after signing.
            url_path = "/"
            payload = req.body if isinstance(req.body, bytes) else (req.body or "").encode()
            sid = conn.conn.get_next_available_stream_id()
            headers = [(":method", req.method), (":path", url_path), (":scheme", conn.scheme),
                       (":authority", conn.authority)]
            headers += [(k.lower(), v.decode() if isinstance(v, bytes) else v) for k, v in req.headers.items()
                        if k.lower() not in ("host", "content-length")]
            headers += list(extra_headers)
            headers.append(("content-length", str(len(payload))))
            conn.conn.send_headers(sid, headers, end_stream=not payload)
            if payload:
                conn.conn.send_data(sid, payload, end_stream=True)
            conn.flush()
        else:
            sid = conn.send_request(req)
        return conn.response(sid)
    finally:
        conn.close()


def test_a_good_call_works_over_h2(srv):
    status, body = h2_send(srv, rawsign.sign(srv))
    assert status == 200, body


def test_a_region_not_served_is_refused_over_h2(srv):
    status, body = h2_send(srv, rawsign.sign(srv, body="Action=ListUsers&Version=2010-05-08", service="iam",
                                             region="eu-west-1"))
    assert (status, error_code(body)) == (403, "SignatureDoesNotMatch"), body


def test_a_second_x_amz_date_is_refused_over_h2(srv):
    req = rawsign.sign(srv)
    status, body = h2_send(srv, req, extra_headers=[("x-amz-date", req.headers["X-Amz-Date"])])
    assert (status, error_code(body)) == (400, "IncompleteSignature"), body


def test_a_malformed_list_member_is_refused_over_h2(srv):
    iam = srv.client("iam")
    name = "h2strict"
    try:
        iam.create_user(UserName=name)
    except iam.exceptions.EntityAlreadyExistsException:
        pass
    body = f"Action=TagUser&Version=2010-05-08&UserName={name}&Tags.member.0.Key=k&Tags.member.0.Value=v"
    status, resp = h2_send(srv, rawsign.sign(srv, body=body, service="iam"))
    assert (status, error_code(resp)) == (400, "ValidationError"), resp
    assert iam.list_user_tags(UserName=name)["Tags"] == []


def test_an_unknown_key_is_refused_over_h2(srv):
    req = rawsign.sign(srv, body="{}", service="kms", key="AKIAUNKNOWNKEY000000", secret="x" * 40,
                       headers={"X-Amz-Target": "TrentService.ListKeys", "Content-Type": JSON_11})
    status, body = h2_send(srv, req)
    assert (status, error_code(body)) == (400, "UnrecognizedClientException"), body
