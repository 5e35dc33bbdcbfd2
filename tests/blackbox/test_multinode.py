"""Three Rampart nodes on one PostgreSQL database (PostgreSQL store only).

What one node commits, every node sees and enforces: users, keys and policies made on one work on
the others; a revocation made on one is in force on the others within the documented bound
(1 s); killing a node mid-load loses no acknowledged write; the audit records of all nodes form
one complete trail in the order the calls were answered; a node with another master key refuses
to join.
"""

import json
import os
import re
import signal
import subprocess
import threading
import time
from collections import Counter

import botocore.exceptions
import pytest

from conftest import BINARY, Server, audit_events, psql, requires_pg
from iamhelp import ALLOW_ALL, allow, client_for, deny, doc, new_user, unique
from kms_fixtures import SOFTHSM_MODULE, kms_error, softhsm  # noqa: F401 (fixture)
from pgnodes import PROPAGATION_ASSERT, PROPAGATION_BOUND, Nodes, error_of, time_until

pytestmark = requires_pg


@pytest.fixture(scope="module")
def nodes(tmp_path_factory):
    n = Nodes(tmp_path_factory.mktemp("multinode"))
    yield n
    n.close()


@pytest.fixture
def own_nodes(tmp_path):
    """Three nodes on a database of the test's own, for tests that kill or add nodes."""
    made = []

    def make():
        n = Nodes(tmp_path / f"cluster{len(made)}")
        made.append(n)
        return n

    yield make
    for n in made:
        n.close()


def test_only_the_first_node_bootstraps(nodes):
    a, b, c = nodes
    assert (a.data_dir / "credentials").exists()
    assert not (b.data_dir / "credentials").exists(), "only the node that bootstraps writes the root key"
    assert not (c.data_dir / "credentials").exists()
    for node in nodes:
        assert node.client("sts").get_caller_identity()["Arn"].endswith(":root")
    accounts = {node.client("sts").get_caller_identity()["Account"] for node in nodes}
    assert len(accounts) == 1, "one account, whichever node answers"


def test_user_key_and_policy_made_on_one_node_work_on_all(nodes):
    a, b, c = nodes
    iam_a = a.client("iam")
    policy = doc(allow(["iam:GetUser", "iam:ListUsers"]))
    name, creds = new_user(a, iam_a, inline=policy, tags={"team": "red"})
    for node in (b, c):
        ident = client_for(node, "sts", creds).get_caller_identity()
        assert ident["Arn"].endswith(f":user/{name}")
        iam_as_user = client_for(node, "iam", creds)
        assert iam_as_user.get_user(UserName=name)["User"]["Tags"] == [{"Key": "team", "Value": "red"}]
        assert name in {u["UserName"] for u in iam_as_user.list_users()["Users"]}
        assert error_of(lambda: iam_as_user.create_user(UserName=unique("nope"))) == ("AccessDenied", 403)
        root_iam = node.client("iam")
        assert root_iam.get_user_policy(UserName=name, PolicyName="inline")["PolicyName"] == "inline"
        assert [k["AccessKeyId"] for k in root_iam.list_access_keys(UserName=name)["AccessKeyMetadata"]] == \
            [creds["AccessKeyId"]]
    # The same user id through every node: one entity, not three copies.
    assert len({node.client("iam").get_user(UserName=name)["User"]["UserId"] for node in nodes}) == 1


def test_kms_key_made_on_one_node_works_on_all(nodes):
    a, b, c = nodes
    key = b.client("kms").create_key(Description="shared")["KeyMetadata"]["KeyId"]
    alias = f"alias/{unique('shared')}"
    c.client("kms").create_alias(AliasName=alias, TargetKeyId=key)
    blob = a.client("kms").encrypt(KeyId=alias, Plaintext=b"across nodes",
                                   EncryptionContext={"who": "a"})["CiphertextBlob"]
    out = c.client("kms").decrypt(CiphertextBlob=blob, EncryptionContext={"who": "a"})
    assert out["Plaintext"] == b"across nodes" and out["KeyId"].endswith(key)
    dk = a.client("kms").generate_data_key(KeyId=key, KeySpec="AES_256")
    assert b.client("kms").decrypt(CiphertextBlob=dk["CiphertextBlob"])["Plaintext"] == dk["Plaintext"]
    # Rotation on one node; old and new ciphertexts decrypt everywhere.
    b.client("kms").rotate_key_on_demand(KeyId=key)
    blob2 = c.client("kms").encrypt(KeyId=key, Plaintext=b"after rotation")["CiphertextBlob"]
    for node in nodes:
        kms = node.client("kms")
        assert kms.decrypt(CiphertextBlob=blob, EncryptionContext={"who": "a"})["Plaintext"] == b"across nodes"
        assert kms.decrypt(CiphertextBlob=blob2)["Plaintext"] == b"after rotation"
        assert kms.describe_key(KeyId=alias)["KeyMetadata"]["Description"] == "shared"
    # Asymmetric: signed on one node, verified on another; the public key is the same everywhere.
    sign_key = a.client("kms").create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    sig = c.client("kms").sign(KeyId=sign_key, Message=b"m", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    assert b.client("kms").verify(KeyId=sign_key, Message=b"m", Signature=sig,
                                  SigningAlgorithm="ECDSA_SHA_256")["SignatureValid"] is True
    assert len({node.client("kms").get_public_key(KeyId=sign_key)["PublicKey"] for node in nodes}) == 1


def test_account_created_from_the_cli_works_on_every_node(nodes):
    from iamhelp import create_account
    acct = create_account(nodes[1])
    for node in nodes:
        sts = node.client("sts", access_key=acct["AccessKeyId"], secret=acct["SecretAccessKey"])
        assert sts.get_caller_identity()["Arn"] == f"arn:aws:iam::{acct['AccountId']}:root"


def test_pagination_markers_work_on_any_node(nodes):
    """A listing paged through different nodes (as behind a load balancer) returns every item
    exactly once, in order."""
    a, b, c = nodes
    prefix = unique("/paged") + "/"
    iam_a = a.client("iam")
    made = sorted(f"paged-{i:02d}-{unique('u')}" for i in range(11))
    for name in made:
        iam_a.create_user(UserName=name, Path=prefix)
    seen, marker, turn = [], None, 0
    while True:
        kw = {"PathPrefix": prefix, "MaxItems": 3}
        if marker:
            kw["Marker"] = marker
        page = nodes[turn % 3].client("iam").list_users(**kw)
        seen += [u["UserName"] for u in page["Users"]]
        turn += 1
        if not page.get("IsTruncated"):
            break
        marker = page["Marker"]
    assert seen == made and turn == 4

    keys = {b.client("kms").create_key()["KeyMetadata"]["KeyId"] for _ in range(5)}
    listed, marker, turn = [], None, 0
    while True:
        kw = {"Limit": 2, **({"Marker": marker} if marker else {})}
        page = nodes[turn % 3].client("kms").list_keys(**kw)
        listed += [k["KeyId"] for k in page["Keys"]]
        turn += 1
        if not page.get("Truncated"):
            break
        marker = page["NextMarker"]
    assert len(listed) == len(set(listed)) and keys <= set(listed)


def test_authorization_message_encoded_on_one_node_decodes_on_another(nodes):
    a, b, c = nodes
    name, creds = new_user(a, inline=doc(allow("sts:DecodeAuthorizationMessage")))
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        client_for(a, "iam", creds).list_roles()
    message = exc.value.response["Error"]["Message"]
    encoded = message.rsplit("Encoded authorization failure message: ", 1)[-1].strip()
    assert encoded and encoded != message, message
    decoded = json.loads(client_for(c, "sts", creds).decode_authorization_message(EncodedMessage=encoded)["DecodedMessage"])
    assert decoded["allowed"] is False
    assert decoded["context"]["action"] == "iam:ListRoles"


def propagation(record_property, label, change, check):
    """Makes `change()` (on one node), then measures how long until `check()` (on another) sees
    it; asserts the documented bound (with slack) and records the measurement."""
    change()
    elapsed = time_until(check, timeout=10)
    record_property(f"propagation:{label}", f"{elapsed * 1000:.0f} ms")
    print(f"\n{label}: in force on the other node after {elapsed * 1000:.0f} ms (bound {PROPAGATION_BOUND} s)")
    assert elapsed < PROPAGATION_ASSERT, f"{label}: {elapsed:.2f} s > {PROPAGATION_ASSERT} s"
    return elapsed


def test_explicit_deny_on_node_a_is_enforced_on_node_c_within_the_bound(nodes, record_property):
    a, b, c = nodes
    iam_a = a.client("iam")
    name, creds = new_user(a, iam_a, inline=json.dumps(ALLOW_ALL))
    on_b, on_c = client_for(b, "iam", creds), client_for(c, "iam", creds)
    # Warm every cache on B and C: the user's key and compiled policies are in use there.
    for _ in range(5):
        on_b.get_user(UserName=name)
        on_c.get_user(UserName=name)

    def denied_on_c():
        return error_of(lambda: on_c.get_user(UserName=name)) == ("AccessDenied", 403)

    propagation(record_property, "explicit deny", lambda: iam_a.put_user_policy(
        UserName=name, PolicyName="deny", PolicyDocument=doc(deny("iam:GetUser"))), denied_on_c)
    # Once in force, it stays in force everywhere, and explains itself.
    for client in (on_b, on_c, client_for(a, "iam", creds)):
        for _ in range(3):
            err = error_of(lambda: client.get_user(UserName=name))
            assert err == ("AccessDenied", 403)
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        on_c.get_user(UserName=name)
    assert "explicit deny" in exc.value.response["Error"]["Message"]
    on_c.list_users()  # other actions are still allowed

    # Lifting it is seen as well.
    propagation(record_property, "deny lifted", lambda: iam_a.delete_user_policy(UserName=name, PolicyName="deny"),
                lambda: error_of(lambda: on_c.get_user(UserName=name)) is None)


def test_entity_reads_served_from_a_nodes_cache_follow_changes_made_elsewhere(nodes, record_property):
    """GetUser and GetRole on a node answer from its read cache; a change made through another
    node shows within the bound, and the node's own changes show at once."""
    a, b, c = nodes
    iam_a, iam_c = a.client("iam"), c.client("iam")
    name, creds = new_user(a, iam_a, tags={"v": "1"})
    for _ in range(3):
        assert iam_c.get_user(UserName=name)["User"]["Tags"] == [{"Key": "v", "Value": "1"}]

    propagation(record_property, "user tag (read cache)",
                lambda: iam_a.tag_user(UserName=name, Tags=[{"Key": "v", "Value": "2"}]),
                lambda: iam_c.get_user(UserName=name)["User"]["Tags"] == [{"Key": "v", "Value": "2"}])
    # Read-your-writes on one node: no wait at all.
    iam_c.tag_user(UserName=name, Tags=[{"Key": "v", "Value": "3"}])
    assert iam_c.get_user(UserName=name)["User"]["Tags"] == [{"Key": "v", "Value": "3"}]
    # A deletion elsewhere: the cached entity is gone within the bound too.
    iam_a.delete_access_key(UserName=name, AccessKeyId=creds["AccessKeyId"])
    propagation(record_property, "user deleted (read cache)", lambda: iam_a.delete_user(UserName=name),
                lambda: error_of(lambda: iam_c.get_user(UserName=name)) == ("NoSuchEntity", 404))


def test_group_and_managed_policy_changes_reach_other_nodes(nodes, record_property):
    a, b, c = nodes
    iam_a = a.client("iam")
    group = unique("grp")
    iam_a.create_group(GroupName=group)
    arn = iam_a.create_policy(PolicyName=unique("pol"), PolicyDocument=doc(allow("iam:ListUsers")))["Policy"]["Arn"]
    iam_a.attach_group_policy(GroupName=group, PolicyArn=arn)
    name, creds = new_user(a, iam_a)
    on_c = client_for(c, "iam", creds)
    for _ in range(3):
        assert error_of(on_c.list_users) == ("AccessDenied", 403)
    propagation(record_property, "added to group", lambda: b.client("iam").add_user_to_group(GroupName=group, UserName=name),
                lambda: error_of(on_c.list_users) is None)
    # A new default version of the managed policy that no longer allows it.
    propagation(record_property, "policy version", lambda: iam_a.create_policy_version(
        PolicyArn=arn, PolicyDocument=doc(allow("iam:GetUser")), SetAsDefault=True),
        lambda: error_of(on_c.list_users) == ("AccessDenied", 403))


def test_access_key_deactivated_on_one_node_fails_on_the_others_within_the_bound(nodes, record_property):
    a, b, c = nodes
    name, creds = new_user(a, inline=json.dumps(ALLOW_ALL))
    on_c = client_for(c, "sts", creds)
    for _ in range(5):
        on_c.get_caller_identity()
    propagation(record_property, "key deactivated", lambda: b.client("iam").update_access_key(
        UserName=name, AccessKeyId=creds["AccessKeyId"], Status="Inactive"),
        lambda: error_of(on_c.get_caller_identity) == ("InvalidClientTokenId", 403))
    propagation(record_property, "key deleted", lambda: a.client("iam").delete_access_key(
        UserName=name, AccessKeyId=creds["AccessKeyId"]),
        lambda: error_of(lambda: client_for(b, "sts", creds).get_caller_identity()) == ("InvalidClientTokenId", 403))
    assert error_of(on_c.get_caller_identity) == ("InvalidClientTokenId", 403)


def test_deleted_role_ends_its_sessions_on_every_node(nodes, record_property):
    a, b, c = nodes
    account = a.client("sts").get_caller_identity()["Account"]
    role = unique("doomed")
    iam_a = a.client("iam")
    iam_a.create_role(RoleName=role, AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "sts:AssumeRole"}))
    iam_a.put_role_policy(RoleName=role, PolicyName="p", PolicyDocument=doc(allow("iam:ListRoles")))
    session = b.client("sts").assume_role(RoleArn=f"arn:aws:iam::{account}:role/{role}", RoleSessionName="doomed")["Credentials"]
    on_c = client_for(c, "iam", session)
    for _ in range(3):
        on_c.list_roles()

    def delete():
        iam_a.delete_role_policy(RoleName=role, PolicyName="p")
        iam_a.delete_role(RoleName=role)

    propagation(record_property, "role deleted", delete, lambda: error_of(on_c.list_roles) == ("AccessDenied", 403))
    # Fail closed, and still when a role of the same name is made again.
    iam_a.create_role(RoleName=role, AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "sts:AssumeRole"}))
    iam_a.put_role_policy(RoleName=role, PolicyName="p", PolicyDocument=doc(allow("iam:ListRoles")))
    time.sleep(PROPAGATION_BOUND)
    assert error_of(on_c.list_roles) == ("AccessDenied", 403), "a session outlived its role through a namesake"


def test_kms_revocations_reach_other_nodes_within_the_bound(nodes, record_property):
    a, b, c = nodes
    kms_a = a.client("kms")
    account = a.client("sts").get_caller_identity()["Account"]
    key = kms_a.create_key()["KeyMetadata"]["KeyId"]
    # A user with no KMS permission of its own: only a grant lets it encrypt.
    name, creds = new_user(a)
    user_kms_c = client_for(c, "kms", creds)
    assert error_of(lambda: user_kms_c.encrypt(KeyId=key, Plaintext=b"x"))[0] == "AccessDeniedException"
    grant = {}

    def make_grant():
        grant.update(kms_a.create_grant(KeyId=key, GranteePrincipal=f"arn:aws:iam::{account}:user/{name}",
                                        Operations=["Encrypt", "Decrypt"]))

    propagation(record_property, "grant created", make_grant,
                lambda: error_of(lambda: user_kms_c.encrypt(KeyId=key, Plaintext=b"x")) is None)
    propagation(record_property, "grant revoked", lambda: b.client("kms").revoke_grant(KeyId=key, GrantId=grant["GrantId"]),
                lambda: error_of(lambda: user_kms_c.encrypt(KeyId=key, Plaintext=b"x")) == ("AccessDeniedException", 400))

    root_kms_c = c.client("kms")
    for _ in range(3):
        root_kms_c.encrypt(KeyId=key, Plaintext=b"x")
    propagation(record_property, "key disabled", lambda: kms_a.disable_key(KeyId=key),
                lambda: error_of(lambda: root_kms_c.encrypt(KeyId=key, Plaintext=b"x")) == ("DisabledException", 400))
    alias = f"alias/{unique('moving')}"
    other = kms_a.create_key()["KeyMetadata"]["KeyId"]
    kms_a.create_alias(AliasName=alias, TargetKeyId=other)
    assert root_kms_c.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"] == other
    target = b.client("kms").create_key()["KeyMetadata"]["KeyId"]
    propagation(record_property, "alias moved", lambda: kms_a.update_alias(AliasName=alias, TargetKeyId=target),
                lambda: root_kms_c.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"] == target)


def test_kill9_mid_load_loses_no_acknowledged_write(own_nodes):
    nodes = own_nodes()
    a, b, c = nodes
    acked = {}          # user name -> request id, for every CreateUser answered 200
    lock = threading.Lock()
    stop = threading.Event()
    killed = threading.Event()
    early_errors = []

    def creator(t):
        iam = b.client("iam")
        for i in range(10_000):
            if stop.is_set():
                return
            name = f"kill-{t}-{i}"
            try:
                out = iam.create_user(UserName=name)
            except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
                # After the kill: the node died under this call, whose outcome is unknown (the user
                # may or may not exist). Before it: a real failure.
                if not killed.is_set():
                    early_errors.append(e)
                return
            assert out["ResponseMetadata"]["HTTPStatusCode"] == 200
            with lock:
                acked[name] = out["ResponseMetadata"]["RequestId"]

    threads = [threading.Thread(target=creator, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    deadline = time.time() + 60
    while len(acked) < 40 and time.time() < deadline:
        time.sleep(0.01)
    killed.set()
    b.kill9()
    stop.set()
    for t in threads:
        t.join(timeout=60)
    assert not early_errors, f"CreateUser failed before the kill: {early_errors[0]!r}"
    assert len(acked) >= 40, "the load did not get going"
    with lock:
        acked = dict(acked)

    # Every acknowledged user exists, through both surviving nodes.
    iam_a, iam_c = a.client("iam"), c.client("iam")
    listed = set()
    for page in iam_a.get_paginator("list_users").paginate():
        listed |= {u["UserName"] for u in page["Users"]}
    missing = set(acked) - listed
    assert not missing, f"{len(missing)} acknowledged users lost: {sorted(missing)[:5]}"
    for name in list(acked)[::7]:
        assert iam_c.get_user(UserName=name)["User"]["UserName"] == name
    # And so does every acknowledged call's audit record.
    recorded = [e["requestID"] for e in audit_events(a.store_args())]
    assert not set(acked.values()) - set(recorded), "acknowledged calls missing from the audit trail"
    assert len(recorded) == len(set(recorded)), "an audit record appears twice"

    # The killed node comes back on the same database without bootstrapping again.
    b2 = nodes.restart(b)
    assert not (b2.data_dir / "credentials").exists()
    assert b2.client("iam").get_user(UserName=next(iter(acked)))["User"]["UserName"] == next(iter(acked))
    b2.client("iam").create_user(UserName=unique("after-restart"))


def test_audit_trail_of_all_nodes_is_complete_and_ordered(nodes):
    a, b, c = nodes
    store_args = a.store_args()

    # Calls made one after the other, each to the next node: the trail keeps their order.
    chain = []
    for i in range(12):
        node = nodes[i % 3]
        if i % 4 == 3:
            err = None
            try:
                node.client("iam").get_user(UserName=unique("nobody"))
            except botocore.exceptions.ClientError as e:
                err = e
            assert err.response["Error"]["Code"] == "NoSuchEntity"
            chain.append(err.response["ResponseMetadata"]["RequestId"])
        else:
            chain.append(node.client("sts").get_caller_identity()["ResponseMetadata"]["RequestId"])

    # Then all nodes at once, while the trail is read over and over.
    acked = [[] for _ in nodes]

    errors = []

    def load(i):
        node = nodes[i]
        iam, kms, sts = node.client("iam"), node.client("kms"), node.client("sts")
        calls = (lambda: iam.create_user(UserName=unique(f"trail{i}")), kms.list_keys, sts.get_caller_identity,
                 lambda: iam.get_user(UserName=unique("nobody")))
        for j in range(25):
            try:
                out = calls[j % 4]()
                acked[i].append(out["ResponseMetadata"]["RequestId"])
            except botocore.exceptions.ClientError as e:
                if e.response["Error"]["Code"] != "NoSuchEntity":
                    errors.append(e)
                acked[i].append(e.response["ResponseMetadata"]["RequestId"])
            except Exception as e:  # noqa: BLE001 - reported by the main thread
                errors.append(e)
                return

    threads = [threading.Thread(target=load, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    snapshots = []
    while any(t.is_alive() for t in threads):
        snapshots.append([e["requestID"] for e in audit_events(store_args)])
        time.sleep(0.05)
    for t in threads:
        t.join()
    assert not errors, f"calls failed under concurrent load: {errors[:3]!r}"
    final = audit_events(store_args)
    ids = [e["requestID"] for e in final]
    assert len(ids) == len(set(ids)), "an audit record appears twice"
    assert len({e["eventID"] for e in final}) == len(final)
    position = {rid: n for n, rid in enumerate(ids)}

    missing = [rid for rid in chain + sum(acked, []) if rid not in position]
    assert not missing, f"{len(missing)} acknowledged calls have no audit record"
    assert [position[r] for r in chain] == sorted(position[r] for r in chain), \
        "calls made one after another through different nodes are out of order in the trail"
    for i, mine in enumerate(acked):
        assert [position[r] for r in mine] == sorted(position[r] for r in mine), f"node {i}'s calls out of order"
    # The trail only grows at its end: a record once visible never gets a new one before it,
    # so a reader that follows the trail (e.g. with --after) misses nothing.
    assert len(snapshots) >= 2
    for snap in snapshots:
        assert ids[: len(snap)] == snap, "a record appeared before records that were already in the trail"
    # Events name the node-independent facts correctly.
    account = a.client("sts").get_caller_identity()["Account"]
    mine = [e for e in final if e["requestID"] in set(chain)]
    assert all(e["recipientAccountId"] == account for e in mine)


def test_audit_trail_pages_by_position(nodes):
    """Sequence numbers are gap-free from 1 across nodes: reading `--after N` for N = the number
    of records already read continues exactly where the reader stopped."""
    for i in range(30):
        nodes[i % 3].client("sts").get_caller_identity()
    where = nodes.first.store_args()
    full = [e["eventID"] for e in audit_events(where)]
    paged = []
    while len(paged) < min(len(full), 10 * 37):
        out = subprocess.run([str(BINARY), "audit", "lookup-events", *where, "--after", str(len(paged)),
                              "--max-results", "37"], capture_output=True, text=True, check=True).stdout
        page = [json.loads(line)["eventID"] for line in out.splitlines() if line.strip()]
        assert page, "a page came back empty before the end of the trail"
        paged += page
    assert paged == full[: len(paged)]


def test_node_with_another_master_key_refuses_to_join(nodes, tmp_path):
    # Forgot --master-key: the node makes a master key of its own, which cannot open what is sealed.
    stray = Server(tmp_path / "stray", store=nodes.store, credentials_from=nodes.first)
    with pytest.raises(RuntimeError) as exc:
        stray.start()
        stray.stop()   # reached only if it started
    message = str(exc.value)
    assert "rampart exited" in message, f"the node started with a different master key:\n{message}"
    assert re.search(r"master[ -]key", message, re.I), f"the failure does not name the master key:\n{message}"
    assert not (tmp_path / "stray" / "credentials").exists()
    # The nodes that share the right key are unaffected.
    for node in nodes:
        assert node.client("sts").get_caller_identity()["Arn"].endswith(":root")


def test_nodes_survive_losing_every_database_connection(nodes, record_property):
    """PostgreSQL ends every connection of the database (a failover, a restart, an admin's
    pg_terminate_backend): the nodes reconnect without a failed call, and a change made right
    then is still enforced everywhere within the bound, although the listeners missed it."""
    a, b, c = nodes
    name, creds = new_user(a, inline=json.dumps(ALLOW_ALL))
    on_c = client_for(c, "iam", creds)
    for _ in range(3):
        on_c.get_user(UserName=name)
    ended = psql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                 "WHERE datname = current_database() AND pid <> pg_backend_pid()", nodes.store)
    assert int(ended) >= 3, "every node had connections to end"
    propagation(record_property, "deny after connections ended", lambda: a.client("iam").put_user_policy(
        UserName=name, PolicyName="deny", PolicyDocument=doc(deny("iam:GetUser"))),
        lambda: error_of(lambda: on_c.get_user(UserName=name)) == ("AccessDenied", 403))
    for node in nodes:
        new = unique("after-reconnect")
        node.client("iam").create_user(UserName=new)
        assert node.client("iam").get_user(UserName=new)["User"]["UserName"] == new


def test_every_change_that_took_effect_is_audited_while_connections_drop(own_nodes):
    """Users are created through all nodes while PostgreSQL ends every connection of the
    database every 50 ms. Calls may fail (503, never 500), but the trail stays complete: every
    user that exists afterwards has the audit record of the CreateUser that made it, and every
    acknowledged call has its record."""
    import boto3
    import botocore.config
    nodes = own_nodes()
    root_key, root_secret = nodes.first.credentials()
    stop = threading.Event()
    results, errors = [], []

    def load(node, t):
        # No client retries: each outcome is that of one request.
        iam = boto3.session.Session().client(
            "iam", endpoint_url=node.endpoint, verify=node.ca_bundle, region_name="us-east-1",
            aws_access_key_id=root_key, aws_secret_access_key=root_secret,
            config=botocore.config.Config(retries={"total_max_attempts": 1}))
        i = 0
        while not stop.is_set():
            name = f"chaos-{t}-{i}"
            i += 1
            try:
                out = iam.create_user(UserName=name)
                results.append((name, None, out["ResponseMetadata"]["RequestId"]))
            except botocore.exceptions.ClientError as e:
                results.append((name, e.response["Error"]["Code"], e.response["ResponseMetadata"]["RequestId"]))
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(e)
                return

    threads = [threading.Thread(target=load, args=(nodes[t % 3], t)) for t in range(6)]
    for t in threads:
        t.start()
    ended = 0
    deadline = time.time() + 4
    while time.time() < deadline:
        ended += int(psql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                          "WHERE datname = current_database() AND pid <> pg_backend_pid()", nodes.store))
        time.sleep(0.05)
    stop.set()
    for t in threads:
        t.join(timeout=60)
    assert not errors, f"calls failed outside the protocol: {errors[:3]!r}"
    assert ended > 20 and len(results) > 50
    codes = Counter(code for _, code, _ in results)
    assert set(codes) <= {None, "ServiceUnavailable"}, codes

    existing = set()
    for page in nodes.first.client("iam").get_paginator("list_users").paginate():
        existing |= {u["UserName"] for u in page["Users"]}
    trail = audit_events(nodes.first.store_args())
    recorded = {e["requestID"] for e in trail}
    created = {e["requestParameters"]["userName"] for e in trail
               if e["eventName"] == "CreateUser" and "errorCode" not in e}
    assert not [r for name, code, r in results if code is None and r not in recorded], "acknowledged calls unaudited"
    assert not [name for name, code, _ in results if code is None and name not in existing], "acknowledged users lost"
    unaudited = sorted(existing - created)
    assert not unaudited, (f"{len(unaudited)} users exist without the audit record of their creation "
                           f"(of {codes['ServiceUnavailable']} calls answered 503): {unaudited[:5]}")


def listener_pids(store):
    """The server processes of the nodes' change listeners: the only connections whose last
    statement is the listener's heartbeat (`SELECT 1`) or its LISTEN."""
    out = psql("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
               "AND (query = 'SELECT 1' OR query ILIKE 'LISTEN %')", store)
    return [int(p) for p in out.split()]


def test_change_is_enforced_while_listeners_hang_silently(nodes, record_property):
    """The listeners' connections stop answering without closing (their PostgreSQL processes
    are frozen with SIGSTOP, as in a network partition): notifications are lost, yet a change
    is enforced on every node within the documented bound."""
    a, b, c = nodes
    name, creds = new_user(a, inline=json.dumps(ALLOW_ALL))
    on_c = client_for(c, "iam", creds)
    for _ in range(3):
        on_c.get_user(UserName=name)
    deadline = time.time() + 5
    while len(pids := listener_pids(nodes.store)) < 3 and time.time() < deadline:
        time.sleep(0.1)
    assert len(pids) == 3, f"expected one listener per node, found {pids}"
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        propagation(record_property, "deny with listeners frozen", lambda: a.client("iam").put_user_policy(
            UserName=name, PolicyName="deny", PolicyDocument=doc(deny("iam:GetUser"))),
            lambda: error_of(lambda: on_c.get_user(UserName=name)) == ("AccessDenied", 403))
        for _ in range(3):
            assert error_of(lambda: on_c.get_user(UserName=name)) == ("AccessDenied", 403)
    finally:
        for pid in pids:
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
    # Listening again, the nodes still see changes (and caches work again).
    propagation(record_property, "deny lifted after listeners recovered", lambda: a.client("iam").delete_user_policy(
        UserName=name, PolicyName="deny"), lambda: error_of(lambda: on_c.get_user(UserName=name)) is None)


def test_rapid_changes_never_leave_a_stale_decision(nodes, record_property):
    """A policy flips on one node while other nodes serve the user from several threads: after
    each burst of flips, every node settles on the last one within the bound (a cache entry
    filled from a read that raced a change must not outlive the change)."""
    a, b, c = nodes
    iam_a = a.client("iam")
    name, creds = new_user(a, iam_a, inline=json.dumps(ALLOW_ALL))
    stop = threading.Event()
    errors = []

    def hammer(node):
        client = client_for(node, "iam", creds)
        while not stop.is_set():
            got = error_of(lambda: client.get_user(UserName=name))
            if got not in (None, ("AccessDenied", 403)):
                errors.append(got)

    threads = [threading.Thread(target=hammer, args=(node,)) for node in (b, c, c, b)]
    for t in threads:
        t.start()
    worst = 0.0
    try:
        denied = False
        for burst in range(12):
            for _ in range(1 + burst % 4):
                if denied:
                    iam_a.delete_user_policy(UserName=name, PolicyName="deny")
                else:
                    iam_a.put_user_policy(UserName=name, PolicyName="deny", PolicyDocument=doc(deny("iam:GetUser")))
                denied = not denied
            want = ("AccessDenied", 403) if denied else None
            for node in (b, c):
                client = client_for(node, "iam", creds)
                worst = max(worst, time_until(lambda: error_of(lambda: client.get_user(UserName=name)) == want,
                                              timeout=PROPAGATION_ASSERT))
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors, f"unexpected answers under flipping policies: {errors[:3]}"
    record_property("propagation:rapid flips (worst)", f"{worst * 1000:.0f} ms")
    print(f"\nrapid flips: worst settle time {worst * 1000:.0f} ms")


def test_hsm_custom_key_store_is_shared_by_all_nodes(softhsm, tmp_path, record_property):
    """A custom key store created and connected on one node serves keys on all (each node opens
    the same PKCS#11 token); disconnecting it through one node disconnects it everywhere."""
    from test_kms_hsm import create_store, describe
    nodes = Nodes(tmp_path / "hsm", extra_env={"SOFTHSM2_CONF": str(softhsm.conf)},
                  extra_args=["--pkcs11-module", SOFTHSM_MODULE])
    try:
        a, b, c = nodes
        cks = create_store(a.client("kms"), softhsm)
        b.client("kms").connect_custom_key_store(CustomKeyStoreId=cks)
        for node in nodes:
            assert describe(node.client("kms"), cks)["ConnectionState"] == "CONNECTED"
        key = c.client("kms").create_key(Origin="AWS_CLOUDHSM", CustomKeyStoreId=cks)["KeyMetadata"]["KeyId"]
        blob = a.client("kms").encrypt(KeyId=key, Plaintext=b"in the token", EncryptionContext={"h": "1"})["CiphertextBlob"]
        for node in nodes:
            out = node.client("kms").decrypt(CiphertextBlob=blob, EncryptionContext={"h": "1"})
            assert out["Plaintext"] == b"in the token"
        assert f"rampart-kms-{key}" in softhsm.tool("--list-objects", "--type", "secrkey")
        kms_c = c.client("kms")
        propagation(record_property, "custom key store disconnected", lambda: a.client("kms").disconnect_custom_key_store(
            CustomKeyStoreId=cks), lambda: error_of(lambda: kms_c.encrypt(KeyId=key, Plaintext=b"x")) == (
                "KMSInvalidStateException", 400))
        assert kms_error(lambda: b.client("kms").decrypt(CiphertextBlob=blob, EncryptionContext={"h": "1"})) == \
            "KMSInvalidStateException"
        assert describe(kms_c, cks)["ConnectionState"] == "DISCONNECTED"
    finally:
        nodes.close()


def test_account_create_with_another_master_key_is_refused(nodes, tmp_path):
    stray = Server(tmp_path / "keysource", store=None).start()
    stray.stop()
    out = subprocess.run([str(BINARY), "account", "create", *nodes.store_args(),
                          "--master-key", str(stray.data_dir / "master.key")], capture_output=True, text=True)
    assert out.returncode != 0 and not out.stdout.strip(), "an account was created under another master key"
    assert re.search(r"master[ -]key", out.stderr, re.I), out.stderr


def test_access_key_last_use_is_shared_by_the_nodes(tmp_path):
    nodes = Nodes(tmp_path / "lastused", n=3)
    try:
        a, b, c = nodes
        name, creds = new_user(a, a.client("iam"), inline=doc(allow(["sts:GetCallerIdentity", "iam:GetUser"])))
        key = creds["AccessKeyId"]

        def last_use_seen_by(node):
            return node.client("iam").get_access_key_last_used(AccessKeyId=key)["AccessKeyLastUsed"]

        assert last_use_seen_by(c)["ServiceName"] == "N/A", "never used yet"
        # Used through node b, which then stops: its shutdown writes the use where all read it.
        client_for(b, "sts", creds).get_caller_identity()
        b.stop()
        seen = last_use_seen_by(c)
        assert seen["ServiceName"] == "sts" and seen["Region"] == "us-east-1" and "LastUsedDate" in seen
        # Used through a live node: the others report it after that node's next flush (every 10 s).
        client_for(a, "iam", creds).get_user()
        assert time_until(lambda: last_use_seen_by(c)["ServiceName"] == "iam", timeout=15) is not None
        # Deleting the key deletes its record of use: a node never writes a deleted key's use back.
        a.client("iam").delete_access_key(UserName=name, AccessKeyId=key)
        assert error_of(lambda: last_use_seen_by(c))[0] == "AccessDenied"
    finally:
        nodes.close()
