# The rest of issue 17 against `tessera serve --auth` with pymongo: the audit log (logins with
# the remote address, user and role changes, DDL, authorization failures, a file that cannot be
# written), ownership of operations and sessions (currentOp $ownOps, killOp, killSessions,
# $listLocalSessions, another user's lsid), roles refusing reads, writes and DDL, every pipeline
# stage that reaches another database, updateRole/dropAllRolesFromDatabase/usersInfo
# showPrivileges, unknown users answering like real ones, the login throttle, and what hello
# shows before a login.

from __future__ import annotations

import base64
import json
import threading
import time
from pathlib import Path

import bson
import pytest
from pymongo import MongoClient
from pymongo.errors import OperationFailure

from tessera_server import ServerStartError, TesseraServer
from test_auth import ADMIN, admin, code_of, login, make_user, start_with_first_user  # noqa: F401 (admin: a fixture)


def audit_events(path: Path, wanted, timeout: float = 15.0) -> list[dict]:
    """The audit file's events once `wanted(events)` holds (the writer runs behind the commands)."""
    deadline = time.monotonic() + timeout
    while True:
        lines = path.read_text().splitlines() if path.exists() else []
        events = [json.loads(line) for line in lines]
        if wanted(events) or time.monotonic() > deadline:
            return events
        time.sleep(0.05)


def find_event(events: list[dict], atype: str, **param) -> dict | None:
    for event in events:
        if event["atype"] == atype and all(event["param"].get(k) == v for k, v in param.items()):
            return event
    return None


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory):
    """A --auth server with an audit log and test commands (failCommand blocks operations);
    test_auth's `admin` fixture logs in to it as root."""
    root = tmp_path_factory.mktemp("tessera-audit")
    server = start_with_first_user(root, ["--audit-log", str(root / "audit.jsonl"), "--enable-test-commands"])
    server.audit_path = root / "audit.jsonl"
    yield server
    assert server.stop() == 0, server.log_tail()


def test_audit_log_records_logins_changes_ddl_and_denials(auth_server, admin):
    path = auth_server.audit_path
    first = find_event(audit_events(path, lambda e: find_event(e, "createUser", user="admin")), "createUser", user="admin")
    assert first is not None and first["users"] == [] and first["remote"]["ip"] == "127.0.0.1"
    assert first["param"]["roles"] == [{"role": "root", "db": "admin"}] and first["result"] == 0

    make_user(admin, "aud", "auditee", ["read"])
    with login(auth_server, "auditee", "wrong-password", "aud") as client:
        assert code_of(lambda: client.aud.c.find_one()) == 18
    with login(auth_server, "auditee", "auditee-pw", "aud", authMechanism="SCRAM-SHA-1") as client:
        client.aud.c.find_one()
        assert code_of(lambda: client.aud.c.insert_one({"x": 1})) == 13
    admin.aud.create_collection("made")
    admin.aud.made.create_index("k", name="k_1")
    admin.aud.made.drop_index("k_1")
    admin.admin.command("renameCollection", "aud.made", to="aud.renamed")
    admin.aud.renamed.drop()
    admin.aud.command("updateUser", "auditee", pwd="secret-new-password")
    admin.drop_database("auddrop")
    admin.auddrop.c.insert_one({})
    admin.drop_database("auddrop")

    def complete(events):
        return find_event(events, "dropDatabase", ns="auddrop") is not None and \
            find_event(events, "updateUser", user="auditee") is not None
    events = audit_events(path, complete)

    failed = find_event(events, "authenticate", user="auditee", db="aud", mechanism="SCRAM-SHA-256")
    assert failed is not None and failed["result"] == 18 and failed["remote"]["ip"] == "127.0.0.1"
    assert isinstance(failed["remote"]["port"], int) and failed["local"]["port"] == auth_server.port
    passed = find_event(events, "authenticate", user="auditee", db="aud", mechanism="SCRAM-SHA-1")
    assert passed is not None and passed["result"] == 0
    assert find_event(events, "authenticate", user="admin", db="admin")["result"] == 0

    denied = find_event(events, "authCheck", command="insert", ns="aud.c")
    assert denied is not None and denied["result"] == 13
    assert denied["users"] == [{"user": "auditee", "db": "aud"}] and denied["roles"] == [{"role": "read", "db": "aud"}]

    created = find_event(events, "createUser", user="auditee", db="aud")
    assert created["users"] == [{"user": "admin", "db": "admin"}] and created["param"]["roles"] == [{"role": "read", "db": "aud"}]
    assert find_event(events, "createCollection", ns="aud.made") is not None
    # An insert into a missing collection creates it: audited as an implicit creation, once.
    implicit = [e for e in events if e["atype"] == "createCollection" and e["param"]["ns"] == "auddrop.c"]
    assert len(implicit) == 1 and implicit[0]["param"]["implicit"] is True
    assert find_event(events, "createCollection", ns="aud.made").get("param", {}).get("implicit") is None
    assert find_event(events, "createIndex", ns="aud.made", indexName="k_1")["param"]["indexSpec"]["key"] == {"k": 1}
    assert find_event(events, "dropIndex", ns="aud.made", indexName="k_1") is not None
    assert find_event(events, "renameCollection", old="aud.made", new="aud.renamed") is not None
    assert find_event(events, "dropCollection", ns="aud.renamed") is not None
    assert find_event(events, "updateUser", user="auditee")["param"]["passwordChanged"] is True
    assert all(isinstance(e["ts"]["$date"], str) for e in events)
    text = path.read_text()
    assert "secret-new-password" not in text and "auditee-pw" not in text and ADMIN[1] not in text


def test_a_user_without_the_role_gets_13_for_reads_writes_and_ddl(auth_server, admin):
    admin.norole.c.insert_one({"_id": 1})
    make_user(admin, "norole", "bare", [])
    with login(auth_server, "bare", "bare-pw", "norole") as client:
        db = client.norole
        assert code_of(lambda: db.c.find_one()) == 13
        assert code_of(lambda: db.c.count_documents({})) == 13
        assert code_of(lambda: db.c.insert_one({})) == 13
        assert code_of(lambda: db.c.update_one({}, {"$set": {"a": 1}})) == 13
        assert code_of(lambda: db.c.delete_one({})) == 13
        assert code_of(lambda: db.create_collection("new")) == 13
        assert code_of(lambda: db.c.create_index("a")) == 13
        assert code_of(lambda: db.c.drop()) == 13
        assert code_of(lambda: client.drop_database("norole")) == 13
    assert admin.norole.c.find_one() == {"_id": 1}


def test_every_stage_that_reaches_another_database_needs_rights_there(auth_server, admin):
    admin.mine.c.insert_one({"_id": 1, "k": 1})
    admin.theirs.secret.insert_one({"_id": 1, "k": 1, "s": "hidden"})
    make_user(admin, "mine", "local", ["readWrite"])
    foreign = {"db": "theirs", "coll": "secret"}
    pipelines = [
        [{"$lookup": {"from": foreign, "localField": "k", "foreignField": "k", "as": "s"}}],
        [{"$graphLookup": {"from": foreign, "startWith": "$k", "connectFromField": "k", "connectToField": "k", "as": "g"}}],
        # ($unionWith reads only its own database: `coll` names a collection there.)
        [{"$facet": {"f": [{"$lookup": {"from": foreign, "pipeline": [], "as": "s"}}]}}],
        [{"$out": {"db": "theirs", "coll": "written"}}],
        [{"$merge": {"into": foreign}}],
    ]
    with login(auth_server, "local", "local-pw", "mine") as client:
        for pipeline in pipelines:
            assert code_of(lambda: list(client.mine.c.aggregate(pipeline))) == 13, pipeline
        same = [{"$graphLookup": {"from": "c", "startWith": "$k", "connectFromField": "k", "connectToField": "k", "as": "g"}}]
        assert len(list(client.mine.c.aggregate(same))) == 1
    assert admin.theirs.list_collection_names() == ["secret"]


def block_finds(client: MongoClient, app_name: str, millis: int) -> None:
    client.admin.command("configureFailPoint", "failCommand", mode={"times": 1}, data={
        "failCommands": ["find"], "blockConnection": True, "blockTimeMS": millis, "appName": app_name})


def running_find(client: MongoClient, own_ops: bool = True) -> list[dict]:
    return [op for op in client.admin.command("currentOp", **({"$ownOps": True} if own_ops else {}))["inprog"]
            if op["command"].get("find") == "slow"]


def test_current_op_shows_own_operations_and_kill_op_refuses_another_users(auth_server, admin):
    make_user(admin, "ops", "alice", ["readWrite"])
    make_user(admin, "ops", "bob", ["readWrite"])
    admin.ops.slow.insert_one({"_id": 1})
    with login(auth_server, "alice", "alice-pw", "ops", appname="slow-alice") as slow, \
            login(auth_server, "alice", "alice-pw", "ops") as alice, login(auth_server, "bob", "bob-pw", "ops") as bob:
        block_finds(admin, "slow-alice", 30_000)
        result = {}

        def blocked_find():
            try:
                result["doc"] = slow.ops.slow.find_one()
            except OperationFailure as failure:
                result["code"] = failure.code
        worker = threading.Thread(target=blocked_find)
        worker.start()
        try:
            deadline = time.monotonic() + 15
            while not running_find(alice) and time.monotonic() < deadline:
                time.sleep(0.02)
            [op] = running_find(alice)
            assert running_find(bob) == []
            assert code_of(lambda: bob.admin.command("currentOp")) == 13
            assert [o["opid"] for o in running_find(admin, own_ops=False)] == [op["opid"]]
            assert running_find(admin) == []
            assert code_of(lambda: bob.admin.command("killOp", op=op["opid"])) == 13
            assert code_of(lambda: bob.admin.command("killOp", op=2_000_000_000)) == 13
            assert running_find(alice)[0]["killPending"] is False
            alice.admin.command("killOp", op=op["opid"])
        finally:
            worker.join(timeout=60)
        assert not worker.is_alive() and result == {"code": 11601}


def test_sessions_belong_to_the_user_who_made_them(auth_server, admin):
    make_user(admin, "ses", "owner", ["readWrite"])
    make_user(admin, "ses", "intruder", ["readWrite"])
    admin.ses.c.insert_many([{"_id": i} for i in range(10)])
    with login(auth_server, "owner", "owner-pw", "ses") as owner, login(auth_server, "intruder", "intruder-pw", "ses") as intruder:
        with owner.start_session() as session:
            lsid = session.session_id
            reply = owner.ses.command("find", "c", batchSize=2, session=session)
            cursor_id = reply["cursor"]["id"]
            # The driver always sends its own lsid: give one of the intruder's sessions the
            # owner's id (dirty, so the driver throws it away afterwards).
            forged = intruder.start_session()
            forged.session_id
            forged._server_session.session_id = lsid
            forged._server_session.mark_dirty()
            assert code_of(lambda: intruder.ses.command("find", "c", session=forged)) == 13
            forged.end_session()
            intruder.admin.command("killSessions", [lsid])
            intruder.admin.command("endSessions", [lsid])
            more = owner.ses.command("getMore", cursor_id, collection="c", batchSize=2, session=session)
            assert [d["_id"] for d in more["cursor"]["nextBatch"]] == [2, 3]
            listed = list(intruder.admin.aggregate([{"$listLocalSessions": {}}]))
            assert lsid not in [entry["_id"] for entry in listed]
            assert code_of(lambda: list(intruder.admin.aggregate([{"$listLocalSessions": {"allUsers": True}}]))) == 13
            assert lsid in [entry["_id"] for entry in owner.admin.aggregate([{"$listLocalSessions": {}}])]
            owner.admin.command("killSessions", [lsid])
            assert code_of(lambda: owner.ses.command("getMore", cursor_id, collection="c")) == 43


def test_update_role_drop_all_roles_and_users_info_with_privileges(auth_server, admin):
    db = admin.rl
    db.command("dropAllRolesFromDatabase")
    db.command("createRole", "base", roles=[], privileges=[
        {"resource": {"db": "rl", "collection": "a"}, "actions": ["find"]}])
    db.command("createRole", "top", roles=["base"], privileges=[])
    make_user(admin, "rl", "holder", ["top"])
    info = db.command("usersInfo", "holder", showPrivileges=True)["users"][0]
    assert info["inheritedRoles"] == [{"role": "base", "db": "rl"}, {"role": "top", "db": "rl"}]
    assert info["inheritedPrivileges"] == [{"resource": {"db": "rl", "collection": "a"}, "actions": ["find"]}]
    assert "inheritedPrivileges" not in db.command("usersInfo", "holder")["users"][0]

    db.command("updateRole", "base", privileges=[{"resource": {"db": "rl", "collection": "b"}, "actions": ["find", "insert"]}])
    with login(auth_server, "holder", "holder-pw", "rl") as client:
        assert code_of(lambda: client.rl.a.find_one()) == 13
        client.rl.b.insert_one({"_id": 1})
        assert code_of(lambda: db.command("updateRole", "base", roles=["top"])) == 49
        assert code_of(lambda: db.command("updateRole", "base")) == 2
        assert code_of(lambda: db.command("updateRole", "nothing", roles=[])) == 31
        assert code_of(lambda: db.command("updateRole", "base", privileges=[
            {"resource": {"db": "elsewhere", "collection": ""}, "actions": ["find"]}])) == 2
        db.command("updateRole", "top", roles=[])
        assert code_of(lambda: client.rl.b.find_one()) == 13
    for change in (lambda: db.command("grantPrivilegesToRole", "read", privileges=[
                       {"resource": {"db": "rl", "collection": ""}, "actions": ["insert"]}]),
                   lambda: db.command("dropRole", "read"),
                   lambda: db.command("grantRolesToRole", "readWrite", roles=["base"])):
        assert code_of(change) == 2
    db.command("grantRolesToRole", "top", roles=["base"])
    assert db.command("dropAllRolesFromDatabase")["n"] == 2
    assert db.command("rolesInfo", 1)["roles"] == []
    assert db.command("usersInfo", "holder")["users"][0]["roles"] == []
    events = audit_events(auth_server.audit_path, lambda e: find_event(e, "dropAllRolesFromDatabase", db="rl") is not None)
    assert find_event(events, "updateRole", role="base", db="rl") is not None


def sasl_start(db, user: str) -> dict:
    reply = db.command("saslStart", mechanism="SCRAM-SHA-256",
                       payload=bson.Binary(f"n,,n={user},r=clientnonceclientnonce".encode()))
    fields = dict(part.split("=", 1) for part in bytes(reply["payload"]).decode().split(","))
    return fields


def test_an_unknown_user_gets_a_stable_made_up_salt_and_fails_like_a_wrong_password(auth_server, admin):
    make_user(admin, "ghost", "real", ["read"])
    with auth_server.client() as anonymous:
        first = sasl_start(anonymous.ghost, "nobody-here")
        again = sasl_start(anonymous.ghost, "nobody-here")
        other = sasl_start(anonymous.ghost, "someone-else")
        real = sasl_start(anonymous.ghost, "real")
    assert first["s"] == again["s"] and first["r"] != again["r"]
    assert other["s"] != first["s"]
    assert len(base64.b64decode(first["s"])) == len(base64.b64decode(real["s"]))
    assert first["i"] == real["i"] == "15000"
    with login(auth_server, "nobody-here", "pw", "ghost") as client:
        assert code_of(lambda: client.ghost.c.find_one()) == 18


def test_hello_before_a_login_shows_only_what_drivers_need(auth_server, admin):
    with auth_server.client() as anonymous:
        reply = anonymous.admin.command("hello")
    for field in ("isWritablePrimary", "maxBsonObjectSize", "maxMessageSizeBytes", "maxWriteBatchSize",
                  "maxWireVersion", "minWireVersion", "setName", "hosts", "topologyVersion",
                  "logicalSessionTimeoutMinutes", "connectionId"):
        assert field in reply, field
    for field in ("lastWrite", "localTime", "$clusterTime", "operationTime"):
        assert field not in reply, field
    after = admin.admin.command("hello")
    assert "lastWrite" in after and "$clusterTime" in after


def test_login_throttle_refuses_a_host_after_repeated_failures(tmp_path):
    server = start_with_first_user(tmp_path, ["--set-parameter", "authFailedLoginLimit=3"])
    try:
        with login(server, *ADMIN) as root:
            root.admin.command("ping")
            for _ in range(3):
                with login(server, "admin", "guess", "admin") as guesser:
                    assert code_of(lambda: guesser.admin.command("ping")) == 18
            with login(server, *ADMIN) as late:
                assert code_of(lambda: late.admin.command("ping")) == 18
            assert "too many failed logins" in server.log_text()
            root.admin.command("setParameter", 1, authFailedLoginLimit=0)
            with login(server, *ADMIN) as again:
                assert again.admin.command("ping")["ok"] == 1
    finally:
        assert server.stop() == 0, server.log_tail()


def test_an_audit_log_that_cannot_be_written_is_reported_not_fatal(tmp_path):
    server = TesseraServer(tmp_path / "db", tmp_path / "server.log", extra_args=["--audit-log", "/dev/full"])
    server.start()
    try:
        with server.client() as client:
            client.app.create_collection("c")
            client.app.c.insert_one({"a": 1})
            assert client.app.c.find_one()["a"] == 1
        deadline = time.monotonic() + 15
        while "cannot write the audit log" not in server.log_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "cannot write the audit log" in server.log_text()
        assert server.running
    finally:
        assert server.stop() == 0, server.log_tail()


def test_an_audit_log_that_cannot_be_opened_stops_the_start(tmp_path):
    server = TesseraServer(tmp_path / "db", tmp_path / "server.log",
                           extra_args=["--audit-log", str(tmp_path / "missing-dir" / "audit.jsonl")])
    with pytest.raises(ServerStartError):
        server.start(timeout=20)
    assert "cannot open the audit log" in server.log_text()
