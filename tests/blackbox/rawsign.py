"""Signed raw HTTP requests, for tests that must tamper with what a client sends.

Signing is botocore's own SigV4 implementation; only the sending is ours, so that a test can
change a byte after signing and see what Rampart says.
"""

from unittest import mock
import xml.etree.ElementTree as ET
import json

import urllib3
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

STS_BODY = "Action=GetCallerIdentity&Version=2011-06-15"
FORM = "application/x-www-form-urlencoded; charset=utf-8"


class Response:
    def __init__(self, r):
        self.status = r.status
        self.headers = r.headers
        self.body = r.data

    def error_code(self):
        """The AWS error code, whatever the protocol's shape."""
        text = self.body.decode("utf-8", "replace")
        if text.lstrip().startswith("{"):
            t = json.loads(text).get("__type", "")
            return t.split("#")[-1]
        root = ET.fromstring(text)
        for el in root.iter():
            if el.tag.split("}")[-1] == "Code":
                return el.text
        return None

    def __repr__(self):
        return f"<{self.status} {self.body[:300]!r}>"


def pool(server):
    if server.http:
        return urllib3.PoolManager(retries=False)
    return urllib3.PoolManager(cert_reqs="CERT_REQUIRED", ca_certs=server.ca_bundle, retries=False)


def sign(server, body=STS_BODY, service="sts", region="us-east-1", key=None, secret=None, token=None,
         headers=None, when=None, method="POST", path="/"):
    """A botocore-signed request (as an AWSRequest, not yet sent)."""
    if key is None:
        key, secret = server.credentials()
    h = {"Content-Type": FORM} if method == "POST" and isinstance(body, str) and body and "=" in body else {}
    h.update(headers or {})
    req = AWSRequest(method=method, url=server.endpoint + path, data=body, headers=h)
    auth = SigV4Auth(Credentials(key, secret, token), service, region)
    if when is None:
        auth.add_auth(req)
    else:
        with mock.patch("botocore.auth.get_current_datetime", return_value=when):
            auth.add_auth(req)
    return req


def presign(server, query, expires=60, when=None, service="sts", key=None, secret=None):
    if key is None:
        key, secret = server.credentials()
    req = AWSRequest(method="GET", url=f"{server.endpoint}/?{query}", headers={})
    auth = SigV4QueryAuth(Credentials(key, secret), service, "us-east-1", expires=expires)
    if when is None:
        auth.add_auth(req)
    else:
        with mock.patch("botocore.auth.get_current_datetime", return_value=when):
            auth.add_auth(req)
    return req.url


def send(server, req, body=None, headers=None):
    """Sends `req`, optionally with a different body or extra/changed headers."""
    h = dict(req.headers.items())
    if headers:
        h.update(headers)
    data = req.body if body is None else body
    r = pool(server).request(req.method, req.url, body=data, headers=h)
    return Response(r)


def get(server, url, headers=None):
    return Response(pool(server).request("GET", url, headers=headers or {}))


def raw(server, method, body=b"", headers=None, path="/"):
    return Response(pool(server).request(method, server.endpoint + path, body=body, headers=headers or {}))
