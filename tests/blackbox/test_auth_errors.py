"""Every way a request can fail authentication gets AWS's exact error code and status; none
of them is a 500, none crashes the server, and the server keeps answering."""

import datetime

import pytest

import rawsign as rs


def assert_error(resp, code, status):
    assert resp.error_code() == code, resp
    assert resp.status == status, resp
    assert resp.headers.get("x-amzn-RequestId"), "every response carries a request id"


@pytest.fixture(autouse=True)
def still_alive_after(server):
    yield
    assert server.alive()
    assert server.client("sts").get_caller_identity()["Arn"].endswith(":root")


def test_no_credentials(server):
    r = rs.raw(server, "POST", rs.STS_BODY, {"Content-Type": rs.FORM})
    assert_error(r, "MissingAuthenticationToken", 403)
    r = rs.raw(server, "GET", path="/?Action=GetCallerIdentity&Version=2011-06-15")
    assert_error(r, "MissingAuthenticationToken", 403)


def test_unknown_access_key(server):
    req = rs.sign(server, key="AKIAUNKNOWNUNKNOWN00", secret="s" * 40)
    assert_error(rs.send(server, req), "InvalidClientTokenId", 403)


def test_wrong_secret(server):
    key, _ = server.credentials()
    req = rs.sign(server, key=key, secret="not-the-secret-not-the-secret-not-the-se")
    assert_error(rs.send(server, req), "SignatureDoesNotMatch", 403)


def test_tampered_body(server):
    req = rs.sign(server)
    assert_error(rs.send(server, req, body=rs.STS_BODY + "&Extra=1"), "SignatureDoesNotMatch", 403)


def test_tampered_signed_header(server):
    req = rs.sign(server, headers={"X-Amz-Meta-Note": "original"})
    auth = req.headers["Authorization"]
    assert "x-amz-meta-note" in auth
    assert_error(rs.send(server, req, headers={"X-Amz-Meta-Note": "changed"}), "SignatureDoesNotMatch", 403)


def test_tampered_date_header(server):
    req = rs.sign(server)
    later = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=5)).strftime("%Y%m%dT%H%M%SZ")
    assert_error(rs.send(server, req, headers={"X-Amz-Date": later}), "SignatureDoesNotMatch", 403)


def test_tampered_signature(server):
    req = rs.sign(server)
    auth = req.headers["Authorization"]
    last = auth[-1]
    flipped = auth[:-1] + ("0" if last != "0" else "1")
    assert_error(rs.send(server, req, headers={"Authorization": flipped}), "SignatureDoesNotMatch", 403)


def test_skewed_clock_past_and_future(server):
    now = datetime.datetime.now(datetime.timezone.utc)
    for delta, phrase in ((-20, "Signature expired"), (20, "Signature not yet current")):
        req = rs.sign(server, when=now + datetime.timedelta(minutes=delta))
        r = rs.send(server, req)
        assert_error(r, "SignatureDoesNotMatch", 403)
        assert phrase in r.body.decode()
    # Within the 15-minute window is fine.
    ok = rs.send(server, rs.sign(server, when=now - datetime.timedelta(minutes=10)))
    assert ok.status == 200, ok


def test_presigned_url_valid_then_expired(server):
    url = rs.presign(server, "Action=GetCallerIdentity&Version=2011-06-15", expires=60)
    ok = rs.get(server, url)
    assert ok.status == 200, ok
    assert b"<Arn>" in ok.body
    old = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=10)
    url = rs.presign(server, "Action=GetCallerIdentity&Version=2011-06-15", expires=60, when=old)
    r = rs.get(server, url)
    assert_error(r, "SignatureDoesNotMatch", 403)
    assert "Signature expired" in r.body.decode()


def test_presigned_url_tampered(server):
    url = rs.presign(server, "Action=GetCallerIdentity&Version=2011-06-15", expires=60)
    assert_error(rs.get(server, url.replace("GetCallerIdentity", "GetCallerIdentitx")), "SignatureDoesNotMatch", 403)
    assert_error(rs.get(server, url.replace("X-Amz-Expires=60", "X-Amz-Expires=6000")), "SignatureDoesNotMatch", 403)


def test_presigned_expiry_over_a_week(server):
    url = rs.presign(server, "Action=GetCallerIdentity&Version=2011-06-15", expires=604801)
    assert_error(rs.get(server, url), "IncompleteSignature", 400)


@pytest.mark.parametrize("auth", [
    "AWS4-HMAC-SHA256",
    "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20250101/us-east-1/sts/aws4_request",
    "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE, SignedHeaders=host, Signature=00",
    "AWS4-HMAC-SHA256 garbage",
    "AWS AKIAEXAMPLE:c2lnbmF0dXJl",
    "Bearer abc",
    "AWS4-HMAC-SHA256 Credential=A/{today}/us-east-1/sts/aws4_request, SignedHeaders=x-amz-date, Signature=" + "0" * 64,
])
def test_malformed_authorization_header(server, auth):
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    auth = auth.replace("{today}", now[:8])
    r = rs.raw(server, "POST", rs.STS_BODY, {"Content-Type": rs.FORM, "Authorization": auth, "X-Amz-Date": now})
    assert_error(r, "IncompleteSignature", 400)


def test_missing_date(server):
    req = rs.sign(server)
    h = dict(req.headers.items())
    del h["X-Amz-Date"]
    r = rs.pool(server).request("POST", req.url, body=req.body, headers=h)
    assert_error(rs.Response(r), "IncompleteSignature", 400)


def test_scope_date_mismatch(server):
    req = rs.sign(server)
    auth = req.headers["Authorization"]
    today = req.headers["X-Amz-Date"][:8]
    r = rs.send(server, req, headers={"Authorization": auth.replace(f"/{today}/", "/20200101/")})
    assert_error(r, "SignatureDoesNotMatch", 403)


def test_session_token_with_long_term_key(server):
    req = rs.sign(server, token="FwoGZXIvYXdzEXAMPLETOKEN")
    assert_error(rs.send(server, req), "InvalidClientTokenId", 403)


def test_unknown_action(server):
    req = rs.sign(server, body="Action=NoSuchThing&Version=2011-06-15")
    r = rs.send(server, req)
    assert_error(r, "InvalidAction", 400)
    assert "NoSuchThing" in r.body.decode()


def test_missing_action(server):
    assert_error(rs.send(server, rs.sign(server, body="Version=2011-06-15")), "MissingAction", 400)


def test_malformed_form_body(server):
    req = rs.sign(server, body=b"Action=GetCallerIdentity&\xff\xfe=\x00")
    r = rs.send(server, req)
    assert r.status == 400, r
    assert r.error_code() == "MalformedQueryString"


@pytest.mark.parametrize("body", ["{not json", "[1, 2]", "\"text\"", "{\"a\": 1"])
def test_malformed_json_body(server, body):
    req = rs.sign(server, body=body, service="kms",
                  headers={"X-Amz-Target": "TrentService.ListKeys", "Content-Type": "application/x-amz-json-1.1"})
    r = rs.send(server, req)
    assert r.body.lstrip().startswith(b"{"), "JSON 1.1 errors are JSON"
    assert_error(r, "SerializationException", 400)


def test_json_protocol_errors_are_json(server):
    # A signature failure on a JSON service is spelled the JSON way.
    key, _ = server.credentials()
    req = rs.sign(server, body="{}", service="kms", key=key, secret="wrong-secret-wrong-secret-wrong-secret00",
                  headers={"X-Amz-Target": "TrentService.ListKeys", "Content-Type": "application/x-amz-json-1.1"})
    r = rs.send(server, req)
    assert r.headers.get("x-amzn-RequestId")
    assert r.status == 400 and r.error_code() == "InvalidSignatureException", r
    req = rs.sign(server, body="{}", service="kms", key="AKIAUNKNOWNUNKNOWN00", secret="x" * 40,
                  headers={"X-Amz-Target": "TrentService.ListKeys", "Content-Type": "application/x-amz-json-1.1"})
    r = rs.send(server, req)
    assert r.status == 400 and r.error_code() == "UnrecognizedClientException", r


def test_oversize_body(server):
    big = "Action=GetCallerIdentity&Version=2011-06-15&Pad=" + "x" * (2 << 20)
    r = rs.send(server, rs.sign(server, body=big))
    assert_error(r, "RequestEntityTooLarge", 413)


@pytest.mark.parametrize("signature_date", ["today", "20250101"])
def test_oversize_body_without_content_length(server, signature_date):
    """A chunked body past the limit gets 413; refused earlier (bad signature) it gets that error.
    Either way the client reads an answer, not a reset connection."""
    def chunks():
        yield b"Action=GetCallerIdentity&Version=2011-06-15&Pad="
        for _ in range(40):
            yield b"x" * 65536

    key, _ = server.credentials()
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    date = now[:8] if signature_date == "today" else signature_date
    auth = f"AWS4-HMAC-SHA256 Credential={key}/{date}/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=" + "0" * 64
    r = rs.pool(server).request("POST", server.endpoint + "/", body=chunks(), chunked=True,
                                headers={"Content-Type": rs.FORM, "Authorization": auth, "X-Amz-Date": now})
    resp = rs.Response(r)
    if signature_date == "today":
        assert_error(resp, "RequestEntityTooLarge", 413)
    else:
        assert_error(resp, "SignatureDoesNotMatch", 403)


def test_garbage_requests_never_500(server):
    cases = [
        ("GET", b"", {}),
        ("DELETE", b"", {}),
        ("PUT", b"\x00\x01\x02", {"Content-Type": "application/octet-stream"}),
        ("POST", b"{}", {"X-Amz-Target": "Nope.Nothing", "Content-Type": "application/x-amz-json-1.1"}),
        ("POST", b"", {"Content-Type": rs.FORM}),
    ]
    for method, body, headers in cases:
        r = rs.raw(server, method, body, headers)
        assert 400 <= r.status < 500, (method, r)
