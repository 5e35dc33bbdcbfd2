"""The model-driven protocol layer, seen from outside: validation from the service model with
AWS's messages (every broken member reported, before authorization), typed values in the
response, and audit parameters shaped and redacted by the model.
"""

import base64
import json
import xml.etree.ElementTree as ET

import botocore.exceptions
import pytest

import rawsign as rs
from iamhelp import client_for, new_user, unique

NAME_PATTERN = r"[\w+=,.@-]+"
PATH_PATTERN = r"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)"


def refused(call):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call()
    err = e.value.response["Error"]
    return err["Code"], err["Message"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_every_broken_member_is_reported_in_awss_words(iam):
    code, message, status = refused(lambda: iam.create_user(UserName="a b", Path="x"))
    assert (code, status) == ("ValidationError", 400)
    assert message == (
        "2 validation errors detected: "
        f"Value 'x' at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: {PATH_PATTERN}; "
        f"Value 'a b' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: {NAME_PATTERN}"
    ), message


def test_validation_comes_before_authorization(server, iam):
    # A caller with no permission at all learns only that the input is invalid, as in AWS; a
    # valid input is then denied.
    _, creds = new_user(server, iam)
    bare = client_for(server, "iam", creds)
    code, message, _ = refused(lambda: bare.create_user(UserName="a b"))
    assert code == "ValidationError", message
    code, _, _ = refused(lambda: bare.create_user(UserName=unique("ok")))
    assert code == "AccessDenied"


def test_a_query_number_that_is_not_a_number_is_refused(server):
    resp = rs.send(server, rs.sign(server, body="Action=ListUsers&Version=2010-05-08&MaxItems=ten", service="iam"))
    root = ET.fromstring(resp.body)
    fields = {el.tag.split("}")[-1]: el.text for el in root.iter()}
    assert (resp.status, fields["Code"]) == (400, "ValidationError"), resp
    assert "at 'maxItems'" in fields["Message"], fields["Message"]


def test_typed_output_reads_back_through_the_sdk(iam):
    name = unique("typed")
    created = iam.create_user(UserName=name, Path="/typed/", Tags=[{"Key": "team", "Value": "blue"}])["User"]
    got = iam.get_user(UserName=name)["User"]
    assert got["Path"] == "/typed/" and got["UserName"] == name and got["Arn"].endswith(f":user/typed/{name}")
    assert got["Tags"] == [{"Key": "team", "Value": "blue"}]
    # Timestamps travel as ISO 8601 and read back as the same instant.
    assert got["CreateDate"] == created["CreateDate"]
    listed = [u for u in iam.list_users(PathPrefix="/typed/")["Users"] if u["UserName"] == name]
    assert len(listed) == 1 and "Tags" not in listed[0]


def test_audit_parameters_are_shaped_and_redacted_by_the_model(server, iam):
    name = unique("audited")
    iam.create_user(UserName=name, Tags=[{"Key": "k", "Value": "v"}])
    kms = server.client("kms")
    key = kms.create_key(Description=unique("model-layer"))["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key, Plaintext=b"top secret", EncryptionContext={"dept": "a"})["CiphertextBlob"]
    kms.decrypt(CiphertextBlob=blob, EncryptionContext={"dept": "a"})
    events = server.audit_events()
    created = [e for e in events if e.get("eventName") == "CreateUser"
               and (e.get("requestParameters") or {}).get("userName") == name]
    assert created and created[-1]["requestParameters"] == {"userName": name, "tags": [{"key": "k", "value": "v"}]}
    encrypts = [e for e in events if e.get("eventName") == "Encrypt"
                and (e.get("requestParameters") or {}).get("keyId") == key]
    assert encrypts, "Encrypt has its record"
    params = encrypts[-1]["requestParameters"]
    assert params["plaintext"] == "HIDDEN_DUE_TO_SECURITY_REASONS"
    assert params["encryptionContext"] == {"dept": "a"}
    dump = json.dumps(events)
    assert base64.b64encode(b"top secret").decode() not in dump
    decrypts = [e for e in events if e.get("eventName") == "Decrypt"
                and (e.get("requestParameters") or {}).get("encryptionContext") == {"dept": "a"}]
    assert decrypts and "ciphertextBlob" not in decrypts[-1]["requestParameters"]


def test_kms_json_types_are_checked_by_the_model(server):
    for body in ('{"KeyId": 5, "Plaintext": "AA=="}', '{"KeyId": "k", "Plaintext": "AA==", "GrantTokens": "t"}',
                 '{"Limit": 4294967296}'):
        op = "ListKeys" if "Limit" in body else "Encrypt"
        req = rs.sign(server, body=body, service="kms",
                      headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"TrentService.{op}"})
        resp = rs.send(server, req)
        assert resp.status == 400, resp
        assert json.loads(resp.body)["__type"] == "SerializationException", resp.body
