"""Virtual MFA devices and OpenID Connect federation through real clients.

MFA: devices are created with a real TOTP seed; the tests compute RFC 6238 codes from it, as an
authenticator app would, to enable devices and to get MFA-authenticated sessions.

OIDC: a real OpenID Connect issuer (`oidc-provider-mock`, from tests/requirements-iam.txt) runs as
its own process on a loopback port; ID tokens are obtained from it through the authorization-code
flow and exchanged with `AssumeRoleWithWebIdentity`, unsigned, as SDKs send it.
"""

import base64
import hashlib
import hmac
import json
import os
import socket
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import boto3
import botocore
import botocore.config
import pytest

from conftest import free_port
from iamhelp import allow, client_for, denied, doc, new_user, unique

# ---------------------------------------------------------------------------------------------
# TOTP (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits), as authenticator apps compute it.


def totp(seed: bytes, step: int) -> str:
    mac = hmac.new(seed, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def step_now() -> int:
    return int(time.time()) // 30


def test_totp_matches_rfc6238_vectors():
    seed = b"12345678901234567890"
    for t, code in [(59, "287082"), (1111111109, "081804"), (1234567890, "005924"), (2000000000, "279037")]:
        assert totp(seed, t // 30) == code


def new_device(iam, path="/"):
    """A virtual MFA device; returns (serial, seed bytes, response)."""
    out = iam.create_virtual_mfa_device(VirtualMFADeviceName=unique("phone"), Path=path)["VirtualMFADevice"]
    # The blob is base64 on the wire; botocore decodes it to the base-32 text of the seed.
    seed = base64.b32decode(out["Base32StringSeed"])
    return out["SerialNumber"], seed, out


def enable(iam, user, serial, seed):
    """Enables the device with the codes of the previous and current steps; returns the step of
    the second code (the last one used)."""
    now = step_now()
    iam.enable_mfa_device(UserName=user, SerialNumber=serial,
                          AuthenticationCode1=totp(seed, now - 1), AuthenticationCode2=totp(seed, now))
    return now


# ---------------------------------------------------------------------------------------------
# MFA devices


def test_virtual_mfa_device_lifecycle(server, iam, account):
    serial, seed, out = new_device(iam, path="/team/")
    name = serial.rsplit("/", 1)[1]
    assert serial == f"arn:aws:iam::{account}:mfa/team/{name}"
    assert len(seed) == 20
    png = out["QRCodePNG"]
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 200
    # The seed is shown once and never written anywhere in clear.
    seed_text = out["Base32StringSeed"].decode()
    assert seed_text not in server.log_path.read_text()
    assert seed_text not in json.dumps(server.audit_events())
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        iam.create_virtual_mfa_device(VirtualMFADeviceName=name)
    assert exc.value.response["Error"]["Code"] == "EntityAlreadyExists"

    unassigned = iam.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"]
    assert serial in [d["SerialNumber"] for d in unassigned]

    user, _ = new_user(server, iam)
    # Wrong codes, and right codes out of order, are refused.
    now = step_now()
    for c1, c2 in [("000000", "111111"), (totp(seed, now), totp(seed, now - 1)), (totp(seed, now - 1), "123456")]:
        err = denied(lambda: iam.enable_mfa_device(UserName=user, SerialNumber=serial, AuthenticationCode1=c1,
                                                   AuthenticationCode2=c2), code="InvalidAuthenticationCode")
        assert err["Message"] == "Authentication code for device is not valid."
    denied(lambda: iam.enable_mfa_device(UserName=unique("ghost"), SerialNumber=serial, AuthenticationCode1="123456",
                                         AuthenticationCode2="654321"), code="NoSuchEntity")
    enable(iam, user, serial, seed)

    listed = iam.list_mfa_devices(UserName=user)["MFADevices"]
    assert [d["SerialNumber"] for d in listed] == [serial] and listed[0]["UserName"] == user
    assigned = {d["SerialNumber"]: d for d in iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"]}
    assert assigned[serial]["User"]["UserName"] == user and "EnableDate" in assigned[serial]
    assert iam.get_mfa_device(SerialNumber=serial, UserName=user)["UserName"] == user

    # In use: not for another user, not deletable, and its user cannot be deleted.
    other, _ = new_user(server, iam)
    now = step_now()
    denied(lambda: iam.enable_mfa_device(UserName=other, SerialNumber=serial, AuthenticationCode1=totp(seed, now),
                                         AuthenticationCode2=totp(seed, now + 1)), code="EntityAlreadyExists")
    denied(lambda: iam.delete_virtual_mfa_device(SerialNumber=serial), code="DeleteConflict")
    iam.delete_access_key(UserName=user, AccessKeyId=iam.list_access_keys(UserName=user)["AccessKeyMetadata"][0]["AccessKeyId"])
    denied(lambda: iam.delete_user(UserName=user), code="DeleteConflict")
    denied(lambda: iam.deactivate_mfa_device(UserName=other, SerialNumber=serial), code="NoSuchEntity")

    iam.tag_mfa_device(SerialNumber=serial, Tags=[{"Key": "owner", "Value": user}, {"Key": "kind", "Value": "phone"}])
    iam.untag_mfa_device(SerialNumber=serial, TagKeys=["kind"])
    assert iam.list_mfa_device_tags(SerialNumber=serial)["Tags"] == [{"Key": "owner", "Value": user}]

    iam.deactivate_mfa_device(UserName=user, SerialNumber=serial)
    assert iam.list_mfa_devices(UserName=user)["MFADevices"] == []
    iam.delete_virtual_mfa_device(SerialNumber=serial)
    iam.delete_user(UserName=user)
    all_devices = iam.list_virtual_mfa_devices()["VirtualMFADevices"]
    assert serial not in [d["SerialNumber"] for d in all_devices]
    denied(lambda: iam.delete_virtual_mfa_device(SerialNumber=serial), code="NoSuchEntity")
    denied(lambda: iam.list_virtual_mfa_devices(AssignmentStatus="Sometimes"), code="ValidationError")


def test_mfa_session_unlocks_mfa_guarded_calls(server, iam, account):
    guarded = doc(allow("iam:ListRoles", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}))
    user, creds = new_user(server, iam, inline=guarded)
    serial, seed, _ = new_device(iam)
    last = enable(iam, user, serial, seed)

    # The long-term key carries no MFA: the guarded call is denied.
    denied(lambda: client_for(server, "iam", creds).list_roles())
    user_sts = client_for(server, "sts", creds)
    denied(lambda: user_sts.get_session_token(SerialNumber=serial, TokenCode="000000"))

    code = totp(seed, last + 1)
    # Someone else cannot use this user's device, even with a valid code (which stays unused).
    _, other_creds = new_user(server, iam)
    denied(lambda: client_for(server, "sts", other_creds).get_session_token(SerialNumber=serial, TokenCode=code))
    session = user_sts.get_session_token(SerialNumber=serial, TokenCode=code, DurationSeconds=900)["Credentials"]
    client_for(server, "iam", session).list_roles()
    # A code is accepted once.
    denied(lambda: user_sts.get_session_token(SerialNumber=serial, TokenCode=code))
    # A session without MFA stays denied.
    plain = user_sts.get_session_token(DurationSeconds=900)["Credentials"]
    denied(lambda: client_for(server, "iam", plain).list_roles())


def test_assume_role_with_mfa_condition(server, iam, account):
    user, creds = new_user(server, iam)
    user_arn = iam.get_user(UserName=user)["User"]["Arn"]
    role = unique("mfa-role")
    trust = doc({"Effect": "Allow", "Principal": {"AWS": user_arn}, "Action": "sts:AssumeRole",
                 "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}})
    role_arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    serial, seed, _ = new_device(iam)
    last = enable(iam, user, serial, seed)
    user_sts = client_for(server, "sts", creds)
    denied(lambda: user_sts.assume_role(RoleArn=role_arn, RoleSessionName="no-mfa"))
    denied(lambda: user_sts.assume_role(RoleArn=role_arn, RoleSessionName="bad-mfa", SerialNumber=serial,
                                        TokenCode="000000"))
    out = user_sts.assume_role(RoleArn=role_arn, RoleSessionName="with-mfa", SerialNumber=serial,
                               TokenCode=totp(seed, last + 1))
    ident = client_for(server, "sts", out["Credentials"]).get_caller_identity()
    assert ident["Arn"] == f"arn:aws:sts::{account}:assumed-role/{role}/with-mfa"


def test_resync_follows_a_drifted_device(server, iam, account):
    user, creds = new_user(server, iam)
    serial, seed, _ = new_device(iam)
    enable(iam, user, serial, seed)
    user_sts = client_for(server, "sts", creds)
    # The phone's clock runs five minutes fast: its codes are refused...
    ahead = step_now() + 10
    denied(lambda: user_sts.get_session_token(SerialNumber=serial, TokenCode=totp(seed, ahead + 2)))
    # ...until the device is resynchronized with two consecutive codes.
    denied(lambda: iam.resync_mfa_device(UserName=user, SerialNumber=serial, AuthenticationCode1="111111",
                                         AuthenticationCode2="222222"), code="InvalidAuthenticationCode")
    iam.resync_mfa_device(UserName=user, SerialNumber=serial, AuthenticationCode1=totp(seed, ahead),
                          AuthenticationCode2=totp(seed, ahead + 1))
    user_sts.get_session_token(SerialNumber=serial, TokenCode=totp(seed, ahead + 2), DurationSeconds=900)


# ---------------------------------------------------------------------------------------------
# OpenID Connect


class Issuer:
    """A real OIDC issuer process on a loopback port."""

    def __init__(self, workdir, token_max_age=3600):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.host = f"127.0.0.1:{self.port}"
        self.log = open(workdir / f"oidc-{self.port}.log", "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port", str(self.port),
             "--token-max-age", str(token_max_age)],
            stdout=self.log, stderr=subprocess.STDOUT, env={**os.environ, "NO_COLOR": "1"})
        deadline = time.time() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/.well-known/openid-configuration", timeout=1) as r:
                    assert json.load(r)["issuer"] == self.url
                    return
            except (OSError, urllib.error.URLError):
                if self.proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError(f"OIDC issuer did not start:\n{(workdir / f'oidc-{self.port}.log').read_text()}")
                time.sleep(0.1)

    def mint(self, client_id="rampart-app", sub="alice"):
        """An ID token for `sub`, through the authorization-code flow."""

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        opener = urllib.request.build_opener(NoRedirect)
        query = urllib.parse.urlencode({"client_id": client_id, "redirect_uri": "http://127.0.0.1/cb",
                                        "response_type": "code", "scope": "openid", "state": "st"})
        form = urllib.parse.urlencode({"sub": sub}).encode()
        with pytest.raises(urllib.error.HTTPError) as redirect:
            opener.open(urllib.request.Request(f"{self.url}/oauth2/authorize?{query}", data=form, method="POST"))
        assert redirect.value.code == 302
        location = urllib.parse.urlparse(redirect.value.headers["Location"])
        code = urllib.parse.parse_qs(location.query)["code"][0]
        basic = base64.b64encode(f"{client_id}:any-secret".encode()).decode()
        body = urllib.parse.urlencode({"grant_type": "authorization_code", "code": code,
                                       "redirect_uri": "http://127.0.0.1/cb"}).encode()
        req = urllib.request.Request(f"{self.url}/oauth2/token", data=body, headers={"Authorization": f"Basic {basic}"})
        with opener.open(req) as r:
            return json.load(r)["id_token"]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


@pytest.fixture(scope="module")
def issuers(workdir):
    started = []

    def start(**kw):
        i = Issuer(workdir, **kw)
        started.append(i)
        return i

    yield start
    for i in started:
        i.stop()


@pytest.fixture(scope="module")
def issuer(issuers):
    return issuers()


def anonymous_sts(server):
    """An STS client that signs nothing, as SDKs call AssumeRoleWithWebIdentity."""
    return boto3.session.Session().client(
        "sts", endpoint_url=server.endpoint, verify=server.ca_bundle, region_name="us-east-1",
        config=botocore.config.Config(signature_version=botocore.UNSIGNED, retries={"max_attempts": 1}))


def register(iam, issuer, client_ids=("rampart-app",)):
    return iam.create_open_id_connect_provider(Url=issuer.url, ClientIDList=list(client_ids))["OpenIDConnectProviderArn"]


def web_role(iam, provider_arn, host, sub="alice", inline=None):
    name = unique("web-role")
    trust = doc({"Effect": "Allow", "Principal": {"Federated": provider_arn}, "Action": "sts:AssumeRoleWithWebIdentity",
                 "Condition": {"StringEquals": {f"{host}:aud": "rampart-app", f"{host}:sub": sub}}})
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    if inline:
        iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=inline)
    return name, arn


@pytest.fixture(scope="module")
def federation(iam, issuer):
    """The issuer registered, and a role that trusts its tokens for alice."""
    provider_arn = register(iam, issuer)
    policy = doc(allow("iam:ListRoles", Condition={"StringEquals": {f"{issuer.host}:sub": "alice"}}))
    role, role_arn = web_role(iam, provider_arn, issuer.host, inline=policy)
    return provider_arn, role, role_arn


def web_error(server, role_arn, token):
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        anonymous_sts(server).assume_role_with_web_identity(RoleArn=role_arn, RoleSessionName="web", WebIdentityToken=token)
    return exc.value.response["Error"], exc.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_oidc_provider_management(server, iam, account, issuers):
    other = issuers()
    arn = iam.create_open_id_connect_provider(
        Url=other.url + "/", ClientIDList=["a", "b", "a"], ThumbprintList=["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"],
        Tags=[{"Key": "team", "Value": "ci"}])["OpenIDConnectProviderArn"]
    assert arn == f"arn:aws:iam::{account}:oidc-provider/{other.host}"
    denied(lambda: iam.create_open_id_connect_provider(Url=other.url, ClientIDList=["a"]), code="EntityAlreadyExists")
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["Url"] == other.host and got["ClientIDList"] == ["a", "b"]
    assert got["ThumbprintList"] == ["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"]
    assert got["Tags"] == [{"Key": "team", "Value": "ci"}]
    assert arn in [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]]

    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="c")
    iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="a")
    iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=arn,
                                                   ThumbprintList=["0000000000000000000000000000000000000000"])
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["ClientIDList"] == ["b", "c"] and got["ThumbprintList"] == ["0" * 40]
    iam.tag_open_id_connect_provider(OpenIDConnectProviderArn=arn, Tags=[{"Key": "env", "Value": "test"}])
    iam.untag_open_id_connect_provider(OpenIDConnectProviderArn=arn, TagKeys=["team"])
    assert iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn)["Tags"] == [{"Key": "env", "Value": "test"}]

    # Plain HTTP only for loopback issuers; malformed URLs and ARNs are refused.
    for url in ["http://idp.example.com", "https://idp.example.com?x=1", "idp.example.com"]:
        denied(lambda: iam.create_open_id_connect_provider(Url=url, ClientIDList=["a"]), code="InvalidInput")
    denied(lambda: iam.create_open_id_connect_provider(Url="https://idp.example.com", ThumbprintList=["a" * 41]),
           code="ValidationError")
    denied(lambda: iam.create_open_id_connect_provider(Url="https://idp.example.com", ThumbprintList=["z" * 40]),
           code="InvalidInput")

    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    denied(lambda: iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn), code="NoSuchEntity")
    denied(lambda: iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn), code="NoSuchEntity")


def test_valid_token_gets_role_credentials(server, iam, account, issuer, federation):
    provider_arn, role, role_arn = federation
    token = issuer.mint(sub="alice")
    out = anonymous_sts(server).assume_role_with_web_identity(
        RoleArn=role_arn, RoleSessionName="web-alice", WebIdentityToken=token, DurationSeconds=900)
    assert out["SubjectFromWebIdentityToken"] == "alice"
    assert out["Audience"] == "rampart-app"
    assert out["Provider"] == provider_arn
    session_arn = f"arn:aws:sts::{account}:assumed-role/{role}/web-alice"
    assert out["AssumedRoleUser"]["Arn"] == session_arn
    creds = out["Credentials"]
    assert client_for(server, "sts", creds).get_caller_identity()["Arn"] == session_arn
    # The session has the role's permissions, and the token's claims are condition keys.
    as_role = client_for(server, "iam", creds)
    as_role.list_roles()
    denied(lambda: as_role.list_users())
    # The token, a credential, is not kept in the audit trail.
    events = [e for e in server.audit_events() if e.get("eventName") == "AssumeRoleWithWebIdentity"]
    assert events and all(token not in json.dumps(e) for e in events)
    assert token not in server.log_path.read_text()


def test_aws_cli_assume_role_with_web_identity(server, issuer, federation):
    _, role, role_arn = federation
    env = server.env()
    out = subprocess.run(["aws", "sts", "assume-role-with-web-identity", "--role-arn", role_arn,
                          "--role-session-name", "cli", "--web-identity-token", issuer.mint(sub="alice"),
                          "--output", "json"], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["AssumedRoleUser"]["Arn"].endswith(f":assumed-role/{role}/cli")


def test_trust_policy_conditions_are_enforced(server, issuer, federation):
    _, _, role_arn = federation
    error, status = web_error(server, role_arn, issuer.mint(sub="mallory"))
    assert (error["Code"], status) == ("AccessDenied", 403)
    assert error["Message"] == "Not authorized to perform sts:AssumeRoleWithWebIdentity"


def test_forged_tokens_are_refused(server, issuer, federation):
    _, _, role_arn = federation
    header, payload, signature = issuer.mint(sub="alice").split(".")
    # The signature altered.
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    error, status = web_error(server, role_arn, ".".join([header, payload, flipped]))
    assert (error["Code"], status) == ("InvalidIdentityToken", 400)
    # The claims altered under the original signature.
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "alice"
    claims["exp"] = claims["exp"] + 86400
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    error, _ = web_error(server, role_arn, ".".join([header, forged, signature]))
    assert error["Code"] == "InvalidIdentityToken"
    # Not a JWT at all; an unsigned ("alg": "none") token.
    assert web_error(server, role_arn, "not-a-jwt")[0]["Code"] == "InvalidIdentityToken"
    none = base64.urlsafe_b64encode(b'{"alg":"none"}').decode().rstrip("=")
    assert web_error(server, role_arn, f"{none}.{payload}.")[0]["Code"] == "InvalidIdentityToken"


def test_expired_token_is_refused(server, iam, issuers):
    short = issuers(token_max_age=1)
    provider_arn = register(iam, short)
    _, role_arn = web_role(iam, provider_arn, short.host)
    token = short.mint(sub="alice")
    time.sleep(2.5)
    error, status = web_error(server, role_arn, token)
    assert (error["Code"], status) == ("ExpiredTokenException", 400)
    assert error["Message"].startswith("Token expired: current date/time ")


def test_wrong_audience_is_refused(server, issuer, federation):
    _, _, role_arn = federation
    error, status = web_error(server, role_arn, issuer.mint(client_id="another-app", sub="alice"))
    assert (error["Code"], status, error["Message"]) == ("InvalidIdentityToken", 400, "Incorrect token audience")


def test_unregistered_issuer_is_refused(server, issuers, federation):
    _, _, role_arn = federation
    stranger = issuers()
    error, status = web_error(server, role_arn, stranger.mint(sub="alice"))
    assert (error["Code"], status) == ("InvalidIdentityToken", 400)
    assert error["Message"] == f"No OpenIDConnect provider found in your account for {stranger.url}"


def test_unreachable_issuer_is_a_communication_error(server, iam):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    provider_arn = iam.create_open_id_connect_provider(Url=url, ClientIDList=["rampart-app"])["OpenIDConnectProviderArn"]
    _, role_arn = web_role(iam, provider_arn, f"127.0.0.1:{port}")
    enc = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).decode().rstrip("=")
    token = ".".join([enc({"alg": "RS256", "kid": "k"}),
                      enc({"iss": url, "sub": "alice", "aud": "rampart-app", "exp": int(time.time()) + 600}), "c2ln"])
    error, status = web_error(server, role_arn, token)
    assert (error["Code"], status) == ("IDPCommunicationError", 400)
