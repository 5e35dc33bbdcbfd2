"""Many clients, three nodes, one PostgreSQL database, all at once (PostgreSQL store only).

What must be unique stays unique across nodes: of many concurrent creations of one name exactly
one wins and every other gets AWS's conflict error (never a 500); no two nodes hand out the same
access key id; concurrent changes to one entity through different nodes are all kept.
"""

import random
import re
import uuid
from collections import Counter

import pytest

import rawsign
from conftest import Server, drop_database, new_database, requires_pg
from iamhelp import allow, doc
from pgnodes import Nodes, error_of, run_together

pytestmark = requires_pg

THREADS_PER_NODE = 8
NAMES = 20
TRUST = doc({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})


@pytest.fixture(scope="module")
def nodes(tmp_path_factory):
    n = Nodes(tmp_path_factory.mktemp("concurrency"))
    yield n
    n.close()


def race(nodes, service, attempt, names, vary_case=False):
    """Every thread (THREADS_PER_NODE per node) calls attempt(client, name, node) for every name,
    each thread in its own order, all released at once. Returns {lower-case name: [outcome, ...]},
    an outcome being None for success or (error code, HTTP status)."""
    def worker(node, seed):
        def run():
            client = node.client(service)
            rng = random.Random(seed)
            order = list(names)
            rng.shuffle(order)
            out = []
            for name in order:
                # IAM names are unique regardless of case: "Race-1" and "race-1" are one name.
                spelled = rng.choice([name, name.upper(), name.capitalize()]) if vary_case else name
                out.append((name.lower(), error_of(lambda: attempt(client, spelled, node))))
            return out
        return run

    workers = [worker(node, f"{i}-{t}") for i, node in enumerate(nodes) for t in range(THREADS_PER_NODE)]
    outcomes = {}
    for result in run_together(workers):
        for name, outcome in result:
            outcomes.setdefault(name, []).append(outcome)
    return outcomes


def assert_exactly_one_winner(outcomes, conflict):
    """Each name: one success, every other attempt (one per thread) exactly the conflict error."""
    bad = {}
    for name, got in outcomes.items():
        wins = sum(1 for o in got if o is None)
        others = Counter(o for o in got if o is not None)
        if wins != 1 or set(others) - {conflict}:
            bad[name] = (wins, dict(others))
    assert not bad, f"expected exactly one success and {conflict} otherwise; got (successes, errors): " + \
        "; ".join(f"{n}: {v}" for n, v in list(bad.items())[:5])
    assert all(len(v) == THREADS_PER_NODE * 3 for v in outcomes.values())


def names(prefix):
    run = uuid.uuid4().hex[:6]
    return [f"{prefix}-{run}-{i}" for i in range(NAMES)]


def identity(node, creds):
    """The ARN GetCallerIdentity answers for these credentials (a raw signed request: cheaper than
    a boto3 client per key)."""
    req = rawsign.sign(node, key=creds["AccessKeyId"], secret=creds["SecretAccessKey"], token=creds.get("SessionToken"))
    resp = rawsign.send(node, req)
    assert resp.status == 200, resp
    body = resp.body.decode()
    return body.split("<Arn>", 1)[1].split("</Arn>", 1)[0]


def listed(client, method, key, field, **kw):
    out = []
    for page in client.get_paginator(method).paginate(**kw):
        out += [item[field] for item in page[key]]
    return out


def test_same_user_names_through_all_nodes(nodes):
    wanted = names("race-user")
    outcomes = race(nodes, "iam", lambda iam, n, _: iam.create_user(UserName=n), wanted, vary_case=True)
    assert_exactly_one_winner(outcomes, ("EntityAlreadyExists", 409))
    for node in nodes:
        users = [u.lower() for u in listed(node.client("iam"), "list_users", "Users", "UserName")]
        mine = Counter(u for u in users if u in set(wanted))
        assert mine == Counter(wanted), "each name exists exactly once, the same through every node"
    ids = {node.client("iam").get_user(UserName=wanted[0])["User"]["UserId"] for node in nodes}
    assert len(ids) == 1


def test_same_role_names_through_all_nodes(nodes):
    wanted = names("race-role")
    outcomes = race(nodes, "iam", lambda iam, n, _: iam.create_role(RoleName=n, AssumeRolePolicyDocument=TRUST),
                    wanted, vary_case=True)
    assert_exactly_one_winner(outcomes, ("EntityAlreadyExists", 409))
    for node in nodes:
        roles = Counter(r.lower() for r in listed(node.client("iam"), "list_roles", "Roles", "RoleName"))
        assert all(roles[n] == 1 for n in wanted)


def test_same_group_names_through_all_nodes(nodes):
    wanted = names("race-group")
    outcomes = race(nodes, "iam", lambda iam, n, _: iam.create_group(GroupName=n), wanted, vary_case=True)
    assert_exactly_one_winner(outcomes, ("EntityAlreadyExists", 409))
    for node in nodes:
        groups = Counter(g.lower() for g in listed(node.client("iam"), "list_groups", "Groups", "GroupName"))
        assert all(groups[n] == 1 for n in wanted)


def test_same_policy_names_through_all_nodes(nodes):
    wanted = names("race-policy")
    document = doc(allow("s3:GetObject"))
    outcomes = race(nodes, "iam", lambda iam, n, _: iam.create_policy(PolicyName=n, PolicyDocument=document), wanted)
    assert_exactly_one_winner(outcomes, ("EntityAlreadyExists", 409))
    for node in nodes:
        policies = Counter(listed(node.client("iam"), "list_policies", "Policies", "PolicyName", Scope="Local"))
        assert all(policies[n] == 1 for n in wanted)


def test_same_alias_names_through_all_nodes(nodes):
    # Each node's threads point their alias at a key of that node's making.
    keys = {node.port: node.client("kms").create_key()["KeyMetadata"]["KeyId"] for node in nodes}
    wanted = names("race-alias")
    outcomes = race(nodes, "kms", lambda kms, n, node: kms.create_alias(AliasName=f"alias/{n}",
                                                                        TargetKeyId=keys[node.port]), wanted)
    assert_exactly_one_winner(outcomes, ("AlreadyExistsException", 400))
    targets = []
    for node in nodes:
        aliases = [a for a in node.client("kms").list_aliases()["Aliases"] if a["AliasName"][6:] in set(wanted)]
        assert sorted(a["AliasName"] for a in aliases) == sorted(f"alias/{n}" for n in wanted)
        targets.append({a["AliasName"]: a["TargetKeyId"] for a in aliases})
    assert targets[0] == targets[1] == targets[2], "every node sees the same winner"
    assert set(targets[0].values()) <= set(keys.values())


def test_concurrent_access_keys_are_unique_and_work_everywhere(nodes):
    iam = nodes[0].client("iam")
    workers_count = THREADS_PER_NODE * 3
    users = [f"keys-{uuid.uuid4().hex[:8]}-{i}" for i in range(workers_count * 2)]
    for u in users:
        iam.create_user(UserName=u)
    shared = f"keys-shared-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=shared)

    def worker(node, mine):
        def run():
            client = node.client("iam")
            made = []
            # Everybody tries a key for the shared user first (AWS allows two per user) ...
            shared_outcome = error_of(lambda: made.append(client.create_access_key(UserName=shared)["AccessKey"]))
            # ... then two keys for each of its own users.
            for u in mine:
                for _ in range(2):
                    made.append(client.create_access_key(UserName=u)["AccessKey"])
            return made, shared_outcome
        return run

    workers = [worker(nodes[i % 3], users[i::workers_count]) for i in range(workers_count)]
    results = run_together(workers)
    keys = [k for made, _ in results for k in made]
    shared_outcomes = Counter(o for _, o in results)
    assert shared_outcomes == Counter({None: 2, ("LimitExceeded", 409): workers_count - 2}), shared_outcomes
    ids = Counter(k["AccessKeyId"] for k in keys)
    assert len(keys) == len(users) * 2 + 2
    assert max(ids.values()) == 1, f"duplicate access key ids: {[k for k, n in ids.items() if n > 1]}"
    assert len({k["SecretAccessKey"] for k in keys}) == len(keys)
    # Each key authenticates as its own user, through any node.
    for n, k in enumerate(keys):
        assert identity(nodes[n % 3], k).endswith(f":user/{k['UserName']}")
    listed_shared = nodes[2].client("iam").list_access_keys(UserName=shared)["AccessKeyMetadata"]
    assert len(listed_shared) == 2


def test_concurrent_sessions_get_unique_keys(nodes):
    iam = nodes[0].client("iam")
    account = nodes[0].client("sts").get_caller_identity()["Account"]
    role = f"sessions-{uuid.uuid4().hex[:8]}"
    trust = doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "sts:AssumeRole"})
    arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust)["Role"]["Arn"]

    def worker(node, t):
        def run():
            sts = node.client("sts")
            return [sts.assume_role(RoleArn=arn, RoleSessionName=f"s{t}-{i}")["Credentials"] for i in range(5)]
        return run

    creds = sum(run_together([worker(nodes[t % 3], t) for t in range(THREADS_PER_NODE * 3)]), [])
    ids = Counter(c["AccessKeyId"] for c in creds)
    assert max(ids.values()) == 1, "two sessions got the same access key id"
    for n, c in enumerate(creds):
        assert f":assumed-role/{role}/" in identity(nodes[n % 3], c)


def test_concurrent_deletes_succeed_once(nodes):
    iam = nodes[0].client("iam")
    wanted = names("race-delete")
    for n in wanted:
        iam.create_user(UserName=n)
    outcomes = race(nodes, "iam", lambda c, n, _: c.delete_user(UserName=n), wanted)
    assert_exactly_one_winner(outcomes, ("NoSuchEntity", 404))
    for node in nodes:
        assert error_of(lambda: node.client("iam").get_user(UserName=wanted[0])) == ("NoSuchEntity", 404)


def test_concurrent_changes_to_one_entity_are_all_kept(nodes):
    """Read-modify-write of one record through different nodes at once loses nothing."""
    iam = nodes[0].client("iam")
    kms = nodes[0].client("kms")
    account = nodes[0].client("sts").get_caller_identity()["Account"]
    target = f"target-{uuid.uuid4().hex[:8]}"
    role = f"role-{uuid.uuid4().hex[:8]}"
    group = f"group-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=target)
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST)
    iam.create_group(GroupName=group)
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    count = THREADS_PER_NODE * 3
    members = [f"member-{uuid.uuid4().hex[:8]}-{i}" for i in range(count)]
    for m in members:
        iam.create_user(UserName=m)

    def worker(node, i):
        def run():
            c, k = node.client("iam"), node.client("kms")
            c.tag_user(UserName=target, Tags=[{"Key": f"t{i}", "Value": str(i)}])
            c.put_role_policy(RoleName=role, PolicyName=f"p{i}", PolicyDocument=doc(allow("s3:GetObject")))
            c.add_user_to_group(GroupName=group, UserName=members[i])
            return k.create_grant(KeyId=key, GranteePrincipal=f"arn:aws:iam::{account}:user/{members[i]}",
                                  Operations=["Encrypt"])["GrantId"]
        return run

    grants = run_together([worker(nodes[i % 3], i) for i in range(count)])
    for node in nodes:
        c = node.client("iam")
        tags = {t["Key"] for t in c.list_user_tags(UserName=target)["Tags"]}
        assert tags == {f"t{i}" for i in range(count)}, f"lost tag updates: {sorted({f't{i}' for i in range(count)} - tags)}"
        policies = set(c.list_role_policies(RoleName=role, MaxItems=1000)["PolicyNames"])
        assert policies == {f"p{i}" for i in range(count)}
        in_group = {u["UserName"] for u in c.get_group(GroupName=group, MaxItems=1000)["Users"]}
        assert in_group == set(members)
        listed_grants = {g["GrantId"] for g in node.client("kms").list_grants(KeyId=key, Limit=100)["Grants"]}
        assert listed_grants == set(grants)


def test_concurrent_key_ids_are_unique(nodes):
    def worker(node):
        def run():
            kms = node.client("kms")
            return [kms.create_key()["KeyMetadata"]["KeyId"] for _ in range(4)]
        return run

    ids = sum(run_together([worker(nodes[t % 3]) for t in range(THREADS_PER_NODE * 3)]), [])
    assert len(set(ids)) == len(ids) == THREADS_PER_NODE * 3 * 4
    listed_ids = set(listed(nodes[1].client("kms"), "list_keys", "Keys", "KeyId"))
    assert set(ids) <= listed_ids


def master_key_file(tmp_path, name):
    """A master key file as Rampart makes it: from a short-lived embedded-store node."""
    s = Server(tmp_path / name, store=None).start()
    s.stop()
    return s.data_dir / "master.key"


def start_together(servers):
    """Starts the servers at the same moment; returns, per server, None if it runs or the
    error it failed to start with."""
    def starter(s):
        def run():
            try:
                s.start()
                return None
            except RuntimeError as e:
                return str(e)
        return run
    return run_together([starter(s) for s in servers])


def test_nodes_starting_together_on_an_empty_database_agree_on_one_account(tmp_path):
    key = master_key_file(tmp_path, "keysource")
    store = new_database()
    servers = [Server(tmp_path / f"n{i}", store=store, master_key=key) for i in range(3)]
    try:
        assert start_together(servers) == [None, None, None]
        writers = [s for s in servers if (s.data_dir / "credentials").exists()]
        assert len(writers) == 1, f"{len(writers)} nodes wrote a root key; exactly the one that bootstrapped should"
        root = writers[0].credentials()
        for s in servers:
            ident = s.client("sts", access_key=root[0], secret=root[1]).get_caller_identity()
            assert ident["Arn"].endswith(":root")
        assert len({s.client("sts", *root).get_caller_identity()["Account"] for s in servers}) == 1
    finally:
        for s in servers:
            s.stop()
        drop_database(store)


def test_nodes_with_different_master_keys_starting_together_one_wins(tmp_path):
    """Three nodes, three master keys, one empty database, started at once: the database is
    sealed under exactly one key; the other two nodes refuse, naming the master key."""
    store = new_database()
    servers = [Server(tmp_path / f"n{i}", store=store, master_key=master_key_file(tmp_path, f"k{i}"))
               for i in range(3)]
    try:
        outcomes = start_together(servers)
        running = [s for s, o in zip(servers, outcomes) if o is None]
        refused = [o for o in outcomes if o is not None]
        assert len(running) == 1, f"{len(running)} nodes with different master keys run on one database"
        for message in refused:
            assert "rampart exited" in message and re.search(r"master[ -]key", message, re.I), message
        assert (running[0].data_dir / "credentials").exists()
        running[0].client("iam").create_user(UserName="sealed-under-one-key")
    finally:
        for s in servers:
            s.stop()
        drop_database(store)


def test_an_mfa_code_is_accepted_once_across_nodes(nodes):
    """Every thread of every node presents the same fresh one-time code at once: one session is
    issued, every other call is refused (the device's last used step is one record, updated in
    one serializable transaction)."""
    from iamhelp import new_user
    from test_iam_mfa_oidc import enable, new_device, totp
    iam = nodes[0].client("iam")
    user, creds = new_user(nodes[0], iam)
    serial, seed, _ = new_device(iam)
    last = enable(iam, user, serial, seed)
    code = totp(seed, last + 1)

    def worker(node):
        def run():
            sts = node.client("sts", access_key=creds["AccessKeyId"], secret=creds["SecretAccessKey"])
            return error_of(lambda: sts.get_session_token(SerialNumber=serial, TokenCode=code, DurationSeconds=900))
        return run

    outcomes = Counter(run_together([worker(nodes[t % 3]) for t in range(THREADS_PER_NODE * 3)]))
    assert outcomes == Counter({None: 1, ("AccessDenied", 403): THREADS_PER_NODE * 3 - 1}), outcomes
