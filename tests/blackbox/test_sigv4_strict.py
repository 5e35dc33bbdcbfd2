"""A signature has exactly one reading: requests that could be read two ways are refused.

Each case sends a request botocore signed correctly, then changes only how it is spelled: a
second Authorization, X-Amz-Date, X-Amz-Security-Token or X-Amz-Content-Sha256 header; a
SignedHeaders list with upper-case names, spaces, repeats or out of order; a presign parameter
twice. Each is the malformed-signature error of its protocol (IncompleteSignature 400 on STS,
IncompleteSignatureException 400 on KMS), and the same request spelled once is still 200.

Two headers of one name need a client that sends exactly what it is given, so these tests write
their requests with http.client (putheader once per header line), over TLS and plain HTTP.
"""

import hashlib
import http.client
import ssl
import urllib.parse

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

import rawsign as rs
from iamhelp import client_for, new_user

KMS_HEADERS = {"X-Amz-Target": "TrentService.ListKeys", "Content-Type": "application/x-amz-json-1.1"}

# (service, body, extra headers to sign, the protocol's malformed-signature error)
STS = ("sts", rs.STS_BODY, {}, "IncompleteSignature")
KMS = ("kms", "{}", KMS_HEADERS, "IncompleteSignatureException")


@pytest.fixture(params=["server", "http_server"])
def srv(request):
    s = request.getfixturevalue(request.param)
    yield s
    assert s.alive()
    assert s.client("sts").get_caller_identity()["Arn"].endswith(":root")


class Raw:
    """What rawsign.Response needs from a response."""

    def __init__(self, r):
        self.status = r.status
        self.headers = r.headers
        self.data = r.read()


def connection(server):
    host, port = "127.0.0.1", server.port
    if server.http:
        return http.client.HTTPConnection(host, port, timeout=30)
    ctx = ssl.create_default_context(cafile=server.ca_bundle)
    return http.client.HTTPSConnection(host, port, timeout=30, context=ctx)


def send_raw(server, method, target, headers, body=b""):
    """Sends `headers` (a list of (name, value), repeats allowed) exactly as given."""
    if isinstance(body, str):
        body = body.encode()
    conn = connection(server)
    try:
        conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        names = {k.lower() for k, _ in headers}
        if "host" not in names:
            conn.putheader("Host", f"127.0.0.1:{server.port}")
        for k, v in headers:
            conn.putheader(k, v)
        if body or method == "POST":
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body or None)
        return rs.Response(Raw(conn.getresponse()))
    finally:
        conn.close()


def signed(server, proto, extra=None, token=None, creds=None):
    """A botocore-signed request of `proto`, as the list of headers to send and the body.
    `extra`: headers added before signing (a list, so a name may repeat)."""
    service, body, headers, _ = proto
    key, secret = creds or server.credentials()
    req = AWSRequest(method="POST", url=server.endpoint + "/", data=body,
                     headers={"Content-Type": rs.FORM} if service == "sts" else {})
    for k, v in headers.items():
        req.headers[k] = v
    for k, v in extra or []:
        # HTTPHeaders keeps every value set for a name; botocore signs them joined with commas.
        req.headers[k] = v
    SigV4Auth(Credentials(key, secret, token), service, "us-east-1").add_auth(req)
    return list(req.headers.items()), body


def assert_error(resp, code, status=400):
    assert resp.error_code() == code, resp
    assert resp.status == status, resp
    assert resp.headers.get("x-amzn-RequestId"), "every response carries a request id"


def value(headers, name):
    return next(v for k, v in headers if k.lower() == name.lower())


def replaced(headers, name, new):
    return [(k, new if k.lower() == name.lower() else v) for k, v in headers]


def with_signed_headers(headers, spelling):
    """The Authorization header with its SignedHeaders list spelled `spelling(list)`."""
    auth = value(headers, "Authorization")
    before, rest = auth.split("SignedHeaders=", 1)
    names, after = rest.split(",", 1)
    return replaced(headers, "Authorization", f"{before}SignedHeaders={spelling(names)},{after}")


@pytest.mark.parametrize("proto", [STS, KMS], ids=["sts", "kms"])
def test_the_request_spelled_once_is_accepted(srv, proto):
    headers, body = signed(srv, proto)
    r = send_raw(srv, "POST", "/", headers, body)
    assert r.status == 200, r


@pytest.mark.parametrize("proto", [STS, KMS], ids=["sts", "kms"])
@pytest.mark.parametrize("second", ["same", "garbage", "other-signature"])
def test_two_authorization_headers(srv, proto, second):
    headers, body = signed(srv, proto)
    first = value(headers, "Authorization")
    other = {
        "same": first,
        "garbage": "AWS4-HMAC-SHA256 garbage",
        "other-signature": first[:-1] + ("0" if first[-1] != "0" else "1"),
    }[second]
    r = send_raw(srv, "POST", "/", headers + [("Authorization", other)], body)
    assert_error(r, proto[3])
    assert "more than one Authorization header" in r.body.decode()
    # The second one first: the same.
    r = send_raw(srv, "POST", "/", [("Authorization", other)] + headers, body)
    assert_error(r, proto[3])


@pytest.mark.parametrize("proto", [STS, KMS], ids=["sts", "kms"])
@pytest.mark.parametrize("same", [True, False], ids=["same", "different"])
def test_two_x_amz_date_headers(srv, proto, same):
    headers, body = signed(srv, proto)
    date = value(headers, "X-Amz-Date")
    second = date if same else date[:-3] + ("00Z" if date[-3:] != "00Z" else "01Z")
    r = send_raw(srv, "POST", "/", headers + [("X-Amz-Date", second)], body)
    assert_error(r, proto[3])
    assert "x-amz-date" in r.body.decode()


@pytest.mark.parametrize("proto", [STS, KMS], ids=["sts", "kms"])
@pytest.mark.parametrize("spelling", [
    "upper-case",
    "one-upper-case",
    "spaces",
    "space-before-first",
    "tab",
    "not-sorted",
    "repeated",
    "empty-name",
    "trailing-semicolon",
])
def test_signed_headers_spelled_otherwise(srv, proto, spelling):
    respell = {
        "upper-case": lambda s: ";".join(n.title() for n in s.split(";")),
        "one-upper-case": lambda s: s.replace("host", "Host"),
        "spaces": lambda s: " ; ".join(s.split(";")),
        "space-before-first": lambda s: " " + s,
        "tab": lambda s: s.replace(";", ";\t", 1),
        "not-sorted": lambda s: ";".join(reversed(s.split(";"))),
        "repeated": lambda s: s.replace("host", "host;host"),
        "empty-name": lambda s: s.replace(";", ";;", 1),
        "trailing-semicolon": lambda s: s + ";",
    }[spelling]
    headers, body = signed(srv, proto)
    bad = with_signed_headers(headers, respell)
    assert value(bad, "Authorization") != value(headers, "Authorization")
    r = send_raw(srv, "POST", "/", bad, body)
    assert_error(r, proto[3])
    assert "SignedHeaders must" in r.body.decode()


@pytest.mark.parametrize("proto", [STS, KMS], ids=["sts", "kms"])
def test_two_content_sha256_headers(srv, proto):
    digest = hashlib.sha256(proto[1].encode()).hexdigest()
    headers, body = signed(srv, proto, extra=[("X-Amz-Content-Sha256", digest)])
    assert "x-amz-content-sha256" in value(headers, "Authorization")
    ok = send_raw(srv, "POST", "/", headers, body)
    assert ok.status == 200, ok
    for second in (digest, "UNSIGNED-PAYLOAD"):
        r = send_raw(srv, "POST", "/", headers + [("X-Amz-Content-Sha256", second)], body)
        assert_error(r, proto[3])
        assert "x-amz-content-sha256" in r.body.decode()


@pytest.fixture
def session(srv):
    """Temporary credentials (a user's GetSessionToken) on `srv`."""
    _, creds = new_user(srv)
    return client_for(srv, "sts", creds).get_session_token(DurationSeconds=900)["Credentials"]


@pytest.mark.parametrize("proto", [STS, KMS], ids=["sts", "kms"])
def test_two_security_token_headers(srv, proto, session):
    creds = (session["AccessKeyId"], session["SecretAccessKey"])
    headers, body = signed(srv, proto, token=session["SessionToken"], creds=creds)
    token = value(headers, "X-Amz-Security-Token")
    r = send_raw(srv, "POST", "/", headers, body)
    if proto[0] == "sts":
        assert r.status == 200, r
    else:
        # A user without KMS permissions: authenticated, then denied.
        assert_error(r, "AccessDeniedException")
    for second in (token, "not-the-token"):
        r = send_raw(srv, "POST", "/", headers + [("X-Amz-Security-Token", second)], body)
        assert_error(r, proto[3])
        assert "x-amz-security-token" in r.body.decode()


@pytest.mark.parametrize("proto", [STS, KMS], ids=["sts", "kms"])
def test_an_ordinary_signed_header_may_repeat(srv, proto):
    """SigV4 signs a repeated header as its values joined with commas; that still works."""
    headers, body = signed(srv, proto, extra=[("X-Amz-Meta-Note", "one"), ("X-Amz-Meta-Note", "two")])
    assert [v for k, v in headers if k.lower() == "x-amz-meta-note"] == ["one", "two"]
    assert "x-amz-meta-note" in value(headers, "Authorization")
    r = send_raw(srv, "POST", "/", headers, body)
    assert r.status == 200, r
    # One value less is another request.
    fewer = [(k, v) for k, v in headers if not (k.lower() == "x-amz-meta-note" and v == "two")]
    r = send_raw(srv, "POST", "/", fewer, body)
    assert_error(r, "SignatureDoesNotMatch" if proto[0] == "sts" else "InvalidSignatureException",
                 403 if proto[0] == "sts" else 400)


@pytest.mark.parametrize("proto", [STS, KMS], ids=["sts", "kms"])
def test_a_signed_header_not_sent(srv, proto):
    """A header listed in SignedHeaders but not sent is signed as empty (as AWS does): the
    client's signature over its value no longer matches."""
    headers, body = signed(srv, proto, extra=[("X-Amz-Meta-Note", "one")])
    without = [(k, v) for k, v in headers if k.lower() != "x-amz-meta-note"]
    r = send_raw(srv, "POST", "/", without, body)
    assert_error(r, "SignatureDoesNotMatch" if proto[0] == "sts" else "InvalidSignatureException",
                 403 if proto[0] == "sts" else 400)


PRESIGN_PARAMS = ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders",
                  "X-Amz-Signature"]


def presigned_target(server):
    url = rs.presign(server, "Action=GetCallerIdentity&Version=2011-06-15", expires=60)
    parts = urllib.parse.urlsplit(url)
    return f"{parts.path or '/'}?{parts.query}"


def test_presigned_url_once_is_accepted(srv):
    r = send_raw(srv, "GET", presigned_target(srv), [])
    assert r.status == 200, r
    assert b"<Arn>" in r.body


@pytest.mark.parametrize("param", PRESIGN_PARAMS)
@pytest.mark.parametrize("where", ["end", "front", "escaped"])
def test_presigned_parameter_twice(srv, param, where):
    target = presigned_target(srv)
    path, query = target.split("?", 1)
    current = dict(p.split("=", 1) for p in query.split("&"))[param]
    copy = f"{param.replace('-', '%2D', 1) if where == 'escaped' else param}={current}"
    query = f"{copy}&{query}" if where == "front" else f"{query}&{copy}"
    r = send_raw(srv, "GET", f"{path}?{query}", [])
    assert_error(r, "IncompleteSignature")
    assert param in r.body.decode()


def test_presigned_signed_headers_upper_case(srv):
    target = presigned_target(srv)
    assert "X-Amz-SignedHeaders=host&" in target
    r = send_raw(srv, "GET", target.replace("X-Amz-SignedHeaders=host&", "X-Amz-SignedHeaders=Host&"), [])
    assert_error(r, "IncompleteSignature")


@pytest.mark.parametrize("proto", [STS, KMS], ids=["sts", "kms"])
def test_space_inside_a_component_value(srv, proto):
    """AWS answers `Credential= AKIA...` with IncompleteSignature ("... not a valid key=value
    pair"); the value is no longer trimmed into a valid one."""
    headers, body = signed(srv, proto)
    auth = value(headers, "Authorization")
    for spaced in (auth.replace("Credential=", "Credential= "), auth.replace("Signature=", "Signature= ")):
        r = send_raw(srv, "POST", "/", replaced(headers, "Authorization", spaced), body)
        assert_error(r, proto[3])
