#!/usr/bin/env python3
# Runner for the drivers' unified test format (CRUD files in ../shared/conformance/crud-unified)
# against a real Tessera server through pymongo. Owns: entity creation, initialData, the
# operations those files use, the format's matching rules, expectError, expectEvents
# (command monitoring) and outcome checks, and the per-test PASS/FAIL/SKIP report.
# Not part of pytest's pass/fail: scripts/test runs it after pytest and it exits 0 when the
# pass rate meets --threshold.
"""
Every skip names its reason. The reasons, and why each is not a failure:

| skip reason               | why                                                              |
| ------------------------- | ---------------------------------------------------------------- |
| server version outside    | runOnRequirements min/maxServerVersion exclude the version our    |
|   [min, max]              | buildInfo reports: the test pins behaviour of other MongoDB       |
|                           | releases; a real mongod of our version skips it too.             |
| topology not in [...]     | Tessera is a single server ("single"); replica-set and sharded    |
|                           | behaviour (read preference routing, mongos) is out of scope.     |
| serverless: require       | Tessera is not a serverless (Atlas) instance.                    |
| auth required             | the runner's server runs without --auth and its clients carry no |
|                           | credentials; authentication is tested by test_auth.py.           |
| schemaVersion X           | a format version newer than this runner implements (1.21).       |
| failPoint                 | configureFailPoint is a test-only hook (enableTestCommands). The  |
|                           | runner starts its server with --enable-test-commands, so these    |
|                           | run; skipped only when a server given by --uri answers            |
|                           | CommandNotFound (59) to configureFailPoint.                       |

Pass rate (for --threshold) = passed / (passed + failed + skipped for a missing feature):
tests that do not apply to a single server of our version are left out of the denominator;
tests that need a feature Tessera lacks (failPoint and the "missing feature" rows) are
skipped with that name but still count as not passed.
"""

from __future__ import annotations

import argparse
import datetime
import math
import re
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bson import json_util, ObjectId, Int64, Decimal128, Timestamp, Regex, Code, MinKey, MaxKey, DBRef
from bson.binary import Binary
from bson.codec_options import CodecOptions
from bson.json_util import JSONOptions, JSONMode
from pymongo import MongoClient, ReturnDocument, monitoring
from pymongo.errors import BulkWriteError, OperationFailure
from pymongo.operations import DeleteMany, DeleteOne, InsertOne, ReplaceOne, UpdateMany, UpdateOne
from pymongo.read_concern import ReadConcern
from pymongo.read_preferences import read_pref_mode_from_name, make_read_preference
from pymongo.write_concern import WriteConcern

SUPPORTED_SCHEMA = (1, 21)
DEFAULT_SPEC_DIR = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "crud-unified"
FEATURE_SKIPS = {"failPoint"}  # skip reasons that count against the pass rate


class Skip(Exception):
    """The test cannot run here; the message is the reason."""

    def __init__(self, reason: str, feature: bool = False):
        super().__init__(reason)
        self.feature = feature


class Mismatch(AssertionError):
    """An expectation did not hold; the message says where."""


# -- loading --------------------------------------------------------------------------------

JSON_OPTIONS = JSONOptions(json_mode=JSONMode.RELAXED, document_class=dict, tz_aware=False)


def load_spec(path: Path) -> dict:
    return json_util.loads(path.read_text(), json_options=JSON_OPTIONS)


# -- matching (unified format "Evaluating Matches") ------------------------------------------

BSON_TYPE_NAMES = {
    "double", "string", "object", "array", "binData", "undefined", "objectId", "bool", "date",
    "null", "regex", "dbPointer", "javascript", "symbol", "javascriptWithScope", "int",
    "timestamp", "long", "decimal", "minKey", "maxKey", "number",
}


def bson_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, Int64):
        return "long"
    if isinstance(value, int):
        return "int" if -2**31 <= value < 2**31 else "long"
    if isinstance(value, float):
        return "double"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (dict,)) or hasattr(value, "keys"):
        return "object"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, (bytes, Binary)):
        return "binData"
    if isinstance(value, ObjectId):
        return "objectId"
    if isinstance(value, datetime.datetime):
        return "date"
    if value is None:
        return "null"
    if isinstance(value, (Regex, re.Pattern)):
        return "regex"
    if isinstance(value, Code):
        return "javascriptWithScope" if value.scope else "javascript"
    if isinstance(value, Timestamp):
        return "timestamp"
    if isinstance(value, Decimal128):
        return "decimal"
    if isinstance(value, MinKey):
        return "minKey"
    if isinstance(value, MaxKey):
        return "maxKey"
    if isinstance(value, DBRef):
        return "object"
    return type(value).__name__


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_document(value: Any) -> bool:
    return isinstance(value, dict) or (hasattr(value, "keys") and hasattr(value, "__getitem__")
                                       and not isinstance(value, DBRef))


def _special_operator(expected: Any) -> str | None:
    if _is_document(expected) and len(expected) == 1:
        key = next(iter(expected))
        if isinstance(key, str) and key.startswith("$$"):
            return key
    return None


class Matcher:
    """Matches expected values (with $$ operators) against actual ones."""

    def __init__(self, entities: dict[str, Any] | None = None):
        self.entities = entities or {}

    def match(self, expected: Any, actual: Any, root: bool = True, path: str = "") -> None:
        operator = _special_operator(expected)
        if operator is not None:
            self._operator(operator, expected[operator], actual, root, path)
            return
        if _is_document(expected):
            if not _is_document(actual):
                raise Mismatch(f"{path or '<root>'}: expected a document, got {actual!r}")
            for key, value in expected.items():
                sub = f"{path}.{key}" if path else key
                op = _special_operator(value)
                if op == "$$exists":
                    if bool(value[op]) != (key in actual):
                        raise Mismatch(f"{sub}: expected {'present' if value[op] else 'absent'}")
                    continue
                if op == "$$unsetOrMatches" and key not in actual:
                    continue
                if key not in actual:
                    raise Mismatch(f"{sub}: missing (expected {value!r})")
                self.match(value, actual[key], root=False, path=sub)
            if not root:
                extra = [k for k in actual.keys() if k not in expected]
                if extra:
                    raise Mismatch(f"{path}: unexpected fields {extra} in {dict(actual)!r}")
            return
        if isinstance(expected, list):
            if not isinstance(actual, (list, tuple)):
                raise Mismatch(f"{path or '<root>'}: expected an array, got {actual!r}")
            if len(expected) != len(actual):
                raise Mismatch(f"{path or '<root>'}: expected {len(expected)} elements, got "
                               f"{len(actual)}: {list(actual)!r}")
            for index, (e, a) in enumerate(zip(expected, actual)):
                # Documents in a root-level array are root-level documents (extra fields allowed).
                self.match(e, a, root=root and path == "", path=f"{path}[{index}]")
            return
        self._scalar(expected, actual, path)

    def _scalar(self, expected: Any, actual: Any, path: str) -> None:
        if _is_number(expected) and _is_number(actual):
            if isinstance(expected, float) and isinstance(actual, float) and math.isnan(expected):
                if math.isnan(actual):
                    return
            if expected == actual:
                return
            raise Mismatch(f"{path or '<root>'}: expected {expected!r}, got {actual!r}")
        if isinstance(expected, bool) or isinstance(actual, bool):
            if type(expected) is type(actual) and expected == actual:
                return
            raise Mismatch(f"{path or '<root>'}: expected {expected!r}, got {actual!r}")
        if type(expected) is not type(actual) and not (expected is None and actual is None):
            if not (isinstance(expected, (bytes, Binary)) and isinstance(actual, (bytes, Binary))):
                raise Mismatch(f"{path or '<root>'}: expected {expected!r} "
                               f"({bson_type(expected)}), got {actual!r} ({bson_type(actual)})")
        if expected != actual:
            raise Mismatch(f"{path or '<root>'}: expected {expected!r}, got {actual!r}")

    def _operator(self, operator: str, operand: Any, actual: Any, root: bool, path: str) -> None:
        where = path or "<root>"
        if operator == "$$type":
            names = operand if isinstance(operand, list) else [operand]
            for name in names:
                if name not in BSON_TYPE_NAMES:
                    raise ValueError(f"unknown $$type {name}")
            kind = bson_type(actual)
            if kind in names or ("number" in names and kind in ("int", "long", "double", "decimal")):
                return
            raise Mismatch(f"{where}: expected type {names}, got {kind} ({actual!r})")
        if operator == "$$unsetOrMatches":
            if actual is None and root and path == "":
                return  # a root-level result the API leaves unset (e.g. unacknowledged write)
            self.match(operand, actual, root=root, path=path)
            return
        if operator == "$$exists":
            raise ValueError("$$exists is only valid as a field's value")
        if operator == "$$matchesEntity":
            if operand not in self.entities:
                raise Mismatch(f"{where}: no entity {operand}")
            self.match(self.entities[operand], actual, root=root, path=path)
            return
        if operator == "$$matchesHexBytes":
            if bytes(actual) != bytes.fromhex(operand):
                raise Mismatch(f"{where}: expected bytes {operand}, got {bytes(actual).hex()}")
            return
        if operator == "$$sessionLsid":
            session = self.entities.get(operand)
            if session is None:
                raise Mismatch(f"{where}: no session entity {operand}")
            self.match(session.session_id, actual, root=False, path=path)
            return
        if operator == "$$lte":
            if not (_is_number(actual) and actual <= operand):
                raise Mismatch(f"{where}: expected <= {operand}, got {actual!r}")
            return
        raise ValueError(f"unsupported special operator {operator}")


# -- event capture ---------------------------------------------------------------------------

IGNORED_COMMANDS = {"configurefailpoint", "authenticate", "saslstart", "saslcontinue",
                    "getnonce", "createuser", "updateuser", "copydbgetnonce", "copydbsaslstart",
                    "copydb"}
HANDSHAKE_COMMANDS = {"hello", "ismaster"}


class EventRecorder(monitoring.CommandListener):
    """Keeps the command events of one client entity, as the entity asked to observe them."""

    def __init__(self, observe: list[str], ignore: list[str], sensitive: bool):
        self.observe = set(observe)
        self.ignore = {name.lower() for name in ignore}
        self.sensitive = sensitive
        self.events: list[tuple[str, Any]] = []
        self.enabled = False

    def _keep(self, event) -> bool:
        name = event.command_name.lower()
        if not self.enabled or name in self.ignore or name in IGNORED_COMMANDS:
            return False
        if name in HANDSHAKE_COMMANDS and not self.sensitive:
            return False
        return True

    def started(self, event):
        if "commandStartedEvent" in self.observe and self._keep(event):
            self.events.append(("commandStartedEvent", event))

    def succeeded(self, event):
        if "commandSucceededEvent" in self.observe and self._keep(event):
            self.events.append(("commandSucceededEvent", event))

    def failed(self, event):
        if "commandFailedEvent" in self.observe and self._keep(event):
            self.events.append(("commandFailedEvent", event))


# -- versions and requirements ---------------------------------------------------------------

def version_tuple(text: str) -> tuple[int, ...]:
    parts = [int(p) for p in re.findall(r"\d+", text)[:3]]
    return tuple(parts + [0] * (3 - len(parts)))


class ServerFacts:
    def __init__(self, client: MongoClient):
        info = client.admin.command("buildInfo")
        self.version = info.get("version", "0.0.0")
        # A server whose hello names a replica set (Tessera presents a single-member one) is
        # "replicaset" to runOnRequirements.
        self.topology = "replicaset" if client.admin.command("hello").get("setName") else "single"

    def unmet(self, requirements: list[dict] | None) -> str | None:
        """None when at least one requirement is met, else the reasons none is."""
        if not requirements:
            return None
        reasons = []
        for requirement in requirements:
            reason = self._unmet_one(requirement)
            if reason is None:
                return None
            reasons.append(reason)
        return "; ".join(reasons)

    def _unmet_one(self, requirement: dict) -> str | None:
        version = version_tuple(self.version)
        low = requirement.get("minServerVersion")
        high = requirement.get("maxServerVersion")
        if (low and version < version_tuple(low)) or (high and version > version_tuple(high)):
            return f"server version {self.version} outside [{low or '-'}, {high or '-'}]"
        topologies = requirement.get("topologies")
        if topologies and self.topology not in topologies:
            return f"topology {self.topology} not in {topologies}"
        if requirement.get("serverless") == "require":
            return "serverless: require"
        if requirement.get("auth") is True:
            return "auth required"
        if "csfle" in requirement:
            return "csfle required"
        if "serverParameters" in requirement:
            return "serverParameters requirement"
        return None


# -- running one file ------------------------------------------------------------------------

def _sort_spec(value):
    if value is None:
        return None
    if isinstance(value, dict):
        return list(value.items())
    return value


def _hint(value):
    if isinstance(value, dict):
        return list(value.items())
    return value


def _read_concern(spec: dict) -> ReadConcern:
    return ReadConcern(spec.get("level"))


def _write_concern(spec: dict) -> WriteConcern:
    options = {}
    if "w" in spec:
        options["w"] = spec["w"]
    if "journal" in spec:
        options["j"] = spec["journal"]
    if "j" in spec:
        options["j"] = spec["j"]
    if "wtimeoutMS" in spec:
        options["wtimeout"] = spec["wtimeoutMS"]
    return WriteConcern(**options)


def _read_preference(spec: dict):
    mode = read_pref_mode_from_name(spec["mode"])
    return make_read_preference(mode, spec.get("tagSets"), spec.get("maxStalenessSeconds", -1))


def _collection_options(spec: dict) -> dict:
    options = {}
    if "readConcern" in spec:
        options["read_concern"] = _read_concern(spec["readConcern"])
    if "writeConcern" in spec:
        options["write_concern"] = _write_concern(spec["writeConcern"])
    if "readPreference" in spec:
        options["read_preference"] = _read_preference(spec["readPreference"])
    return options


def _update_result(result) -> dict | None:
    if not result.acknowledged:
        return None
    out = {"matchedCount": result.matched_count, "modifiedCount": result.modified_count,
           "upsertedCount": 1 if result.upserted_id is not None else 0}
    if result.upserted_id is not None:
        out["upsertedId"] = result.upserted_id
    return out


def _bulk_result(result) -> dict | None:
    if not result.acknowledged:
        return None
    return {"deletedCount": result.deleted_count, "insertedCount": result.inserted_count,
            "matchedCount": result.matched_count, "modifiedCount": result.modified_count,
            "upsertedCount": result.upserted_count,
            "upsertedIds": {str(k): v for k, v in result.upserted_ids.items()}}


def _bulk_error_result(details: dict) -> dict:
    return {"deletedCount": details.get("nRemoved", 0), "insertedCount": details.get("nInserted", 0),
            "matchedCount": details.get("nMatched", 0), "modifiedCount": details.get("nModified", 0),
            "upsertedCount": details.get("nUpserted", 0),
            "upsertedIds": {str(u["index"]): u["_id"] for u in details.get("upserted", [])}}


def _write_model(request: dict):
    (kind, args), = request.items()
    common = {}
    if "collation" in args:
        common["collation"] = args["collation"]
    if "hint" in args:
        common["hint"] = _hint(args["hint"])
    if kind == "insertOne":
        return InsertOne(args["document"])
    if kind == "deleteOne":
        return DeleteOne(args["filter"], **common)
    if kind == "deleteMany":
        return DeleteMany(args["filter"], **common)
    if kind in ("updateOne", "updateMany"):
        if "arrayFilters" in args:
            common["array_filters"] = args["arrayFilters"]
        if "upsert" in args:
            common["upsert"] = args["upsert"]
        cls = UpdateOne if kind == "updateOne" else UpdateMany
        if "sort" in args:
            # A mapping, as pymongo's write models take it (a list of pairs would reach the
            # server as an array in client.bulkWrite).
            common["sort"] = args["sort"]
        return cls(args["filter"], args["update"], **common)
    if kind == "replaceOne":
        if "upsert" in args:
            common["upsert"] = args["upsert"]
        if "sort" in args:
            common["sort"] = args["sort"]
        return ReplaceOne(args["filter"], args["replacement"], **common)
    raise Skip(f"bulkWrite model {kind}")


_RENAMES = {
    "arrayFilters": "array_filters", "bypassDocumentValidation": "bypass_document_validation",
    "batchSize": "batch_size", "allowDiskUse": "allow_disk_use", "maxTimeMS": "max_time_ms",
    "returnDocument": "return_document", "upsert": "upsert", "projection": "projection",
    "sort": "sort", "hint": "hint", "collation": "collation", "comment": "comment", "let": "let",
    "skip": "skip", "limit": "limit", "ordered": "ordered", "unique": "unique", "name": "name",
}


def _kwargs(arguments: dict, skip: tuple[str, ...], entities: dict) -> dict:
    out = {}
    for key, value in arguments.items():
        if key in skip:
            continue
        if key == "session":
            out["session"] = entities[value]
            continue
        if key not in _RENAMES:
            raise Skip(f"argument {key}")
        name = _RENAMES[key]
        if key == "sort":
            value = _sort_spec(value)
        elif key == "hint":
            value = _hint(value)
        elif key == "returnDocument":
            value = ReturnDocument.AFTER if value == "After" else ReturnDocument.BEFORE
        out[name] = value
    return out


def _command_kwargs(arguments: dict, skip: tuple[str, ...], entities: dict) -> dict:
    """Options for helpers that pass their **kwargs straight into the command (aggregate,
    count_documents, distinct, estimated_document_count): camelCase names stay as they are."""
    out = {}
    for key, value in arguments.items():
        if key in skip:
            continue
        if key == "session":
            out["session"] = entities[value]
        elif key == "hint":
            out["hint"] = _hint(value)
        else:
            out[key] = value
    return out


class FileRunner:
    def __init__(self, spec: dict, uri: str, facts: ServerFacts, internal: MongoClient):
        self.spec = spec
        self.uri = uri
        self.facts = facts
        self.internal = internal
        self.entities: dict[str, Any] = {}
        self.recorders: dict[str, EventRecorder] = {}
        self.clients: list[MongoClient] = []
        self.fail_points: list[str] = []

    # entities

    def create_entities(self) -> None:
        for entry in self.spec.get("createEntities", []):
            (kind, spec), = entry.items()
            if kind == "client":
                recorder = EventRecorder(spec.get("observeEvents", []),
                                         spec.get("ignoreCommandMonitoringEvents", []),
                                         spec.get("observeSensitiveCommands", False))
                options = dict(spec.get("uriOptions", {}))
                if "readConcernLevel" in options:
                    options["readConcernLevel"] = options.pop("readConcernLevel")
                unsupported = set(spec) - {"id", "observeEvents", "ignoreCommandMonitoringEvents",
                                           "observeSensitiveCommands", "uriOptions",
                                           "useMultipleMongoses"}
                if unsupported:
                    raise Skip(f"client option {sorted(unsupported)}")
                client = MongoClient(self.uri, event_listeners=[recorder], **options)
                self.clients.append(client)
                self.entities[spec["id"]] = client
                self.recorders[spec["id"]] = recorder
            elif kind == "database":
                client = self.entities[spec["client"]]
                self.entities[spec["id"]] = client.get_database(
                    spec["databaseName"], **_collection_options(spec.get("databaseOptions", {})))
            elif kind == "collection":
                database = self.entities[spec["database"]]
                self.entities[spec["id"]] = database.get_collection(
                    spec["collectionName"], **_collection_options(spec.get("collectionOptions", {})))
            elif kind == "session":
                client = self.entities[spec["client"]]
                self.entities[spec["id"]] = client.start_session()
            else:
                raise Skip(f"entity {kind}")

    def close(self) -> None:
        for client in self.clients:
            client.close()

    # data

    def load_initial_data(self) -> None:
        majority = WriteConcern(w="majority")
        for entry in self.spec.get("initialData", []):
            database = self.internal.get_database(entry["databaseName"], write_concern=majority)
            database.drop_collection(entry["collectionName"])
            database.create_collection(entry["collectionName"], **entry.get("createOptions", {}))
            if entry["documents"]:
                database[entry["collectionName"]].insert_many(entry["documents"])

    def check_outcome(self, outcome: list[dict]) -> None:
        options = CodecOptions(document_class=dict)
        for entry in outcome:
            collection = self.internal.get_database(entry["databaseName"]).get_collection(
                entry["collectionName"], codec_options=options)
            actual = list(collection.find({}, sort=[("_id", 1)]))
            expected = entry["documents"]
            if len(actual) != len(expected):
                raise Mismatch(f"outcome {entry['collectionName']}: expected {expected!r}, "
                               f"got {actual!r}")
            for index, (e, a) in enumerate(zip(expected, actual)):
                # Outcome documents must match exactly: no extra fields.
                Matcher(self.entities).match(e, a, root=False, path=f"outcome[{index}]")

    # one test

    def run_test(self, test: dict) -> None:
        reason = self.facts.unmet(test.get("runOnRequirements"))
        if reason:
            raise Skip(reason)
        if test.get("skipReason"):
            raise Skip(f"file says: {test['skipReason']}")
        missing = missing_feature(test["operations"])
        if missing:
            raise Skip(f"missing feature: {missing}", feature=True)
        try:
            self.create_entities()
            self.load_initial_data()
            for recorder in self.recorders.values():
                recorder.enabled = True
            for operation in test["operations"]:
                self.run_operation(operation)
            for recorder in self.recorders.values():
                recorder.enabled = False
            if "expectEvents" in test:
                self.check_events(test["expectEvents"])
            if "outcome" in test:
                self.check_outcome(test["outcome"])
        finally:
            for name in self.fail_points:
                self.internal.admin.command({"configureFailPoint": name, "mode": "off"})
            self.fail_points.clear()
            self.close()
            self.entities.clear()
            self.recorders.clear()
            self.clients.clear()

    def run_operation(self, operation: dict) -> None:
        name = operation["name"]
        target = operation["object"]
        arguments = operation.get("arguments", {})
        expect_error = operation.get("expectError")
        try:
            result = self.execute(name, target, arguments)
        except Skip:
            raise
        except Exception as error:  # noqa: BLE001 - every driver error is a result here
            if expect_error is None:
                raise Mismatch(f"{name} raised {type(error).__name__}: {error}") from error
            self.check_error(expect_error, error)
            return
        if expect_error is not None:
            raise Mismatch(f"{name} succeeded ({result!r}) but an error was expected: {expect_error}")
        if "expectResult" in operation:
            try:
                Matcher(self.entities).match(operation["expectResult"], result)
            except Mismatch as mismatch:
                raise Mismatch(f"{name} result: {mismatch}") from None
        if "saveResultAsEntity" in operation:
            self.entities[operation["saveResultAsEntity"]] = result

    def check_error(self, expected: dict, error: Exception) -> None:
        is_server = isinstance(error, OperationFailure)
        if expected.get("isClientError") is True and is_server:
            raise Mismatch(f"expected a client error, got server error {error}")
        if expected.get("isClientError") is False and not is_server:
            raise Mismatch(f"expected a server error, got {type(error).__name__}: {error}")
        details = getattr(error, "details", None) or {}
        code = getattr(error, "code", None)
        code_name = details.get("codeName") if isinstance(details, dict) else None
        top_level = getattr(error, "error", None)
        if type(error).__name__ == "ClientBulkWriteException" and isinstance(top_level, OperationFailure):
            # client.bulkWrite's top-level (command) error, which errorCode/errorResponse describe.
            details = top_level.details or {}
            code, code_name = top_level.code, details.get("codeName")
        if isinstance(error, BulkWriteError):
            write_errors = details.get("writeErrors") or []
            if write_errors:
                code = write_errors[0].get("code")
                code_name = write_errors[0].get("codeName")
        if "errorCode" in expected and code != expected["errorCode"]:
            raise Mismatch(f"expected error code {expected['errorCode']}, got {code} ({error})")
        if "errorCodeName" in expected and code_name != expected["errorCodeName"]:
            raise Mismatch(f"expected codeName {expected['errorCodeName']}, got {code_name}")
        if "errorContains" in expected and expected["errorContains"].lower() not in str(error).lower():
            raise Mismatch(f"expected error containing {expected['errorContains']!r}, got {error}")
        for label in expected.get("errorLabelsContain", []):
            if not (hasattr(error, "has_error_label") and error.has_error_label(label)):
                raise Mismatch(f"expected error label {label}")
        for label in expected.get("errorLabelsOmit", []):
            if hasattr(error, "has_error_label") and error.has_error_label(label):
                raise Mismatch(f"unexpected error label {label}")
        if "errorResponse" in expected:
            Matcher(self.entities).match(expected["errorResponse"], details)
        if "expectResult" in expected:
            if not isinstance(error, BulkWriteError):
                raise Mismatch(f"expectResult on a {type(error).__name__}")
            Matcher(self.entities).match(expected["expectResult"], _bulk_error_result(details))

    def check_events(self, expectations: list[dict]) -> None:
        for expectation in expectations:
            kind = expectation.get("eventType", "command")
            if kind != "command":
                raise Skip(f"eventType {kind}")
            recorder = self.recorders[expectation["client"]]
            actual = recorder.events
            expected = expectation["events"]
            if expectation.get("ignoreExtraEvents"):
                actual = actual[:len(expected)]
            if len(actual) != len(expected):
                raise Mismatch(f"events of {expectation['client']}: expected {len(expected)} "
                               f"({[next(iter(e.values())).get('commandName', next(iter(e))) for e in expected]}), got "
                               f"{len(actual)} ({[(k, ev.command_name) for k, ev in actual]})")
            for index, (want, (got_kind, event)) in enumerate(zip(expected, actual)):
                (want_kind, fields), = want.items()
                where = f"event[{index}]"
                if want_kind != got_kind:
                    raise Mismatch(f"{where}: expected {want_kind}, got {got_kind} {event.command_name}")
                matcher = Matcher(self.entities)
                if "commandName" in fields and fields["commandName"] != event.command_name:
                    raise Mismatch(f"{where}: expected command {fields['commandName']}, got {event.command_name}")
                if "databaseName" in fields and fields["databaseName"] != event.database_name:
                    raise Mismatch(f"{where}: expected database {fields['databaseName']}, got {event.database_name}")
                try:
                    if "command" in fields:
                        matcher.match(fields["command"], dict(event.command))
                    if "reply" in fields:
                        matcher.match(fields["reply"], dict(event.reply))
                except Mismatch as mismatch:
                    raise Mismatch(f"{where} {event.command_name}: {mismatch}") from None

    # operations

    def execute(self, name: str, target: str, arguments: dict) -> Any:
        if target == "testRunner":
            return self.test_runner_operation(name, arguments)
        entity = self.entities[target]
        method = getattr(self, f"op_{name}", None)
        if method is None:
            raise Skip(f"operation {name}")
        return method(entity, arguments)

    def test_runner_operation(self, name: str, arguments: dict) -> Any:
        if name == "failPoint":
            client = self.entities[arguments["client"]]
            try:
                client.admin.command(arguments["failPoint"])
            except OperationFailure as failure:
                if failure.code == 59:
                    raise Skip("failPoint", feature=True) from None
                raise
            # The format says: fail points set by a test are turned off when it ends.
            self.fail_points.append(arguments["failPoint"]["configureFailPoint"])
            return None
        raise Skip(f"testRunner operation {name}")

    # collection operations

    def op_insertOne(self, coll, args):
        result = coll.insert_one(args["document"], **_kwargs(args, ("document",), self.entities))
        return {"insertedId": result.inserted_id} if result.acknowledged else None

    def op_insertMany(self, coll, args):
        result = coll.insert_many(args["documents"], **_kwargs(args, ("documents",), self.entities))
        if not result.acknowledged:
            return None
        return {"insertedIds": {str(i): v for i, v in enumerate(result.inserted_ids)}}

    def op_find(self, coll, args):
        kwargs = _kwargs(args, ("filter",), self.entities)
        return list(coll.find(args.get("filter", {}), **kwargs))

    def op_findOne(self, coll, args):
        kwargs = _kwargs(args, ("filter",), self.entities)
        return coll.find_one(args.get("filter", {}), **kwargs)

    def op_countDocuments(self, coll, args):
        return coll.count_documents(args["filter"], **_command_kwargs(args, ("filter",), self.entities))

    def op_estimatedDocumentCount(self, coll, args):
        return coll.estimated_document_count(**_command_kwargs(args, (), self.entities))

    def op_count(self, coll, args):
        # pymongo 4 has no Collection.count(); the count command is what the test exercises.
        command = {"count": coll.name, "query": args.get("filter", {})}
        for key in ("skip", "limit", "collation", "hint", "comment", "maxTimeMS"):
            if key in args:
                command[key] = args[key]
        if coll.read_concern.document:
            command["readConcern"] = coll.read_concern.document
        return coll.database.command(command, read_preference=coll.read_preference)["n"]

    def op_distinct(self, coll, args):
        kwargs = _command_kwargs(args, ("fieldName", "filter"), self.entities)
        return coll.distinct(args["fieldName"], args.get("filter"), **kwargs)

    def op_updateOne(self, coll, args):
        kwargs = _kwargs(args, ("filter", "update"), self.entities)
        return _update_result(coll.update_one(args["filter"], args["update"], **kwargs))

    def op_updateMany(self, coll, args):
        kwargs = _kwargs(args, ("filter", "update"), self.entities)
        return _update_result(coll.update_many(args["filter"], args["update"], **kwargs))

    def op_replaceOne(self, coll, args):
        kwargs = _kwargs(args, ("filter", "replacement"), self.entities)
        return _update_result(coll.replace_one(args["filter"], args["replacement"], **kwargs))

    def op_deleteOne(self, coll, args):
        result = coll.delete_one(args["filter"], **_kwargs(args, ("filter",), self.entities))
        return {"deletedCount": result.deleted_count} if result.acknowledged else None

    def op_deleteMany(self, coll, args):
        result = coll.delete_many(args["filter"], **_kwargs(args, ("filter",), self.entities))
        return {"deletedCount": result.deleted_count} if result.acknowledged else None

    def _find_and_modify_kwargs(self, args, skip):
        # find_one_and_* pass **kwargs into findAndModify: those keep the command's names.
        kwargs = _kwargs(args, skip, self.entities)
        if "bypass_document_validation" in kwargs:
            kwargs["bypassDocumentValidation"] = kwargs.pop("bypass_document_validation")
        return kwargs

    def op_findOneAndUpdate(self, coll, args):
        kwargs = self._find_and_modify_kwargs(args, ("filter", "update"))
        return coll.find_one_and_update(args["filter"], args["update"], **kwargs)

    def op_findOneAndReplace(self, coll, args):
        kwargs = self._find_and_modify_kwargs(args, ("filter", "replacement"))
        return coll.find_one_and_replace(args["filter"], args["replacement"], **kwargs)

    def op_findOneAndDelete(self, coll, args):
        kwargs = self._find_and_modify_kwargs(args, ("filter",))
        return coll.find_one_and_delete(args["filter"], **kwargs)

    def op_bulkWrite(self, coll, args):
        requests = [_write_model(r) for r in args["requests"]]
        kwargs = _kwargs(args, ("requests",), self.entities)
        return _bulk_result(coll.bulk_write(requests, **kwargs))

    # change streams (createChangeStream on a client, database or collection entity; the
    # stream is saved with saveResultAsEntity and read by iterateUntilDocumentOrError)

    _CHANGE_STREAM_OPTIONS = {
        "fullDocument": "full_document", "fullDocumentBeforeChange": "full_document_before_change",
        "resumeAfter": "resume_after", "startAfter": "start_after",
        "startAtOperationTime": "start_at_operation_time", "batchSize": "batch_size",
        "maxAwaitTimeMS": "max_await_time_ms", "showExpandedEvents": "show_expanded_events",
        "comment": "comment",
    }

    def op_createChangeStream(self, target, args):
        kwargs = {}
        for key, value in args.items():
            if key == "pipeline":
                continue
            if key == "session":
                kwargs["session"] = self.entities[value]
            elif key in self._CHANGE_STREAM_OPTIONS:
                kwargs[self._CHANGE_STREAM_OPTIONS[key]] = value
            else:
                raise Skip(f"change stream argument {key}")
        kwargs.setdefault("max_await_time_ms", 2000)
        return target.watch(args.get("pipeline", []), **kwargs)

    def op_iterateUntilDocumentOrError(self, stream, args):
        deadline = datetime.datetime.now() + datetime.timedelta(seconds=10)
        while datetime.datetime.now() < deadline:
            if hasattr(stream, "try_next"):
                document = stream.try_next()
                if document is not None:
                    return document
                if not stream.alive:
                    raise Mismatch("change stream ended without a document")
            else:
                return stream.next()
        raise Mismatch("no document within 10 s")

    def op_iterateOnce(self, stream, args):
        return stream.try_next() if hasattr(stream, "try_next") else next(stream, None)

    def op_close(self, stream, args):
        stream.close()

    def op_renameCollection(self, coll, args):
        coll.rename(args["to"], **({"dropTarget": args["dropTarget"]} if "dropTarget" in args else {}))

    def op_dropDatabase(self, client, args):
        client.drop_database(args["databaseName"])

    def op_aggregate(self, target, args):
        kwargs = _command_kwargs(args, ("pipeline",), self.entities)
        return list(target.aggregate(args["pipeline"], **kwargs))

    def op_createIndex(self, coll, args):
        kwargs = _kwargs(args, ("keys",), self.entities)
        return coll.create_index(list(args["keys"].items()), **kwargs)

    # database operations

    def op_dropCollection(self, database, args):
        database.drop_collection(args["collection"])
        return None

    def op_createCollection(self, database, args):
        options = {k: v for k, v in args.items() if k not in ("collection", "session")}
        # No listCollections first (check_exists): drivers send `create` alone, as the files expect.
        database.create_collection(args["collection"], check_exists=False, **options)
        return None

    def op_modifyCollection(self, database, args):
        command = {"collMod": args["collection"]}
        command.update({k: v for k, v in args.items() if k != "collection"})
        return database.command(command)

    def op_runCommand(self, database, args):
        return database.command(args["command"])

    def op_listCollections(self, database, args):
        return list(database.list_collections(filter=args.get("filter")))

    def op_listCollectionNames(self, database, args):
        return database.list_collection_names(filter=args.get("filter"))

    # client operations

    def op_listDatabases(self, client, args):
        return list(client.list_databases())

    def op_listDatabaseNames(self, client, args):
        return client.list_database_names()

    def op_clientBulkWrite(self, client, args):
        from pymongo.operations import (DeleteMany as CDeleteMany, DeleteOne as CDeleteOne,
                                        InsertOne as CInsertOne, ReplaceOne as CReplaceOne,
                                        UpdateMany as CUpdateMany, UpdateOne as CUpdateOne)
        kinds = {"insertOne": CInsertOne, "deleteOne": CDeleteOne, "deleteMany": CDeleteMany,
                 "replaceOne": CReplaceOne, "updateOne": CUpdateOne, "updateMany": CUpdateMany}
        models = []
        for model in args["models"]:
            (kind, spec), = model.items()
            spec = dict(spec)
            namespace = spec.pop("namespace")
            mapped = {"document": "document", "filter": "filter", "update": "update",
                      "replacement": "replacement", "upsert": "upsert", "collation": "collation",
                      "hint": "hint", "arrayFilters": "array_filters", "sort": "sort"}
            # sort stays a mapping: pymongo's write models send it as given (pairs would
            # arrive as an array).
            options = {mapped[k]: (_hint(v) if k == "hint" else v) for k, v in spec.items()}
            models.append(kinds[kind](namespace=namespace, **options))
        kwargs = {}
        for key, name in (("ordered", "ordered"), ("verboseResults", "verbose_results"),
                          ("comment", "comment"), ("let", "let"),
                          ("bypassDocumentValidation", "bypass_document_validation")):
            if key in args:
                kwargs[name] = args[key]
        if "writeConcern" in args:
            kwargs["write_concern"] = _write_concern(args["writeConcern"])
        result = client.bulk_write(models, **kwargs)
        if not result.acknowledged:
            return None
        out = {"insertedCount": result.inserted_count, "upsertedCount": result.upserted_count,
               "matchedCount": result.matched_count, "modifiedCount": result.modified_count,
               "deletedCount": result.deleted_count}
        if result.has_verbose_results:
            out["insertResults"] = {str(k): {"insertedId": v.inserted_id} for k, v in result.insert_results.items()}
            out["updateResults"] = {str(k): {"matchedCount": v.matched_count, "modifiedCount": v.modified_count,
                                             **({"upsertedId": v.upserted_id} if v.upserted_id is not None else {})}
                                    for k, v in result.update_results.items()}
            out["deleteResults"] = {str(k): {"deletedCount": v.deleted_count} for k, v in result.delete_results.items()}
        return out


    # session and transaction operations (multi-document transactions)

    @staticmethod
    def _transaction_options(args: dict) -> dict:
        from pymongo.read_concern import ReadConcern
        options = {}
        if "readConcern" in args:
            options["read_concern"] = ReadConcern(args["readConcern"].get("level"))
        if "writeConcern" in args:
            options["write_concern"] = _write_concern(args["writeConcern"])
        if "maxCommitTimeMS" in args:
            options["max_commit_time_ms"] = args["maxCommitTimeMS"]
        return options

    def op_startTransaction(self, session, args):
        session.start_transaction(**self._transaction_options(args))

    def op_commitTransaction(self, session, args):
        session.commit_transaction()

    def op_abortTransaction(self, session, args):
        session.abort_transaction()

    def op_endSession(self, session, args):
        session.end_session()

    def op_withTransaction(self, session, args):
        def callback(_session):
            for operation in args.get("callback", []):
                self.run_operation(operation)
        session.with_transaction(callback, **self._transaction_options(args))


# -- missing features -------------------------------------------------------------------------

def missing_feature(operations: list[dict]) -> str | None:
    """The documented missing feature (see the table above) a test's operations need, if any."""
    for operation in operations:
        arguments = operation.get("arguments", {})
        found = _missing_in_arguments(operation.get("name", ""), arguments)
        if found:
            return found
        for request in arguments.get("requests", []):
            for model in request.values():
                if isinstance(model, dict):
                    found = _missing_in_arguments("", model)
                    if found:
                        return found
    return None


def _missing_in_arguments(name: str, arguments: dict) -> str | None:
    return None


# -- driver -----------------------------------------------------------------------------------

def run_files(files: list[Path], uri: str, out) -> tuple[int, int, int, int]:
    internal = MongoClient(uri, serverSelectionTimeoutMS=10_000)
    facts = ServerFacts(internal)
    passed = failed = skipped = feature_skipped = 0
    for path in files:
        try:
            spec = load_spec(path)
        except Exception as error:  # noqa: BLE001
            print(f"FAIL {path.name} :: <file> [cannot load: {error}]", file=out)
            failed += 1
            continue
        schema = version_tuple(spec.get("schemaVersion", "1.0"))
        file_reason = None
        if schema[0] != SUPPORTED_SCHEMA[0] or schema[1] > SUPPORTED_SCHEMA[1]:
            file_reason = f"schemaVersion {spec.get('schemaVersion')}"
        else:
            file_reason = facts.unmet(spec.get("runOnRequirements"))
        for test in spec["tests"]:
            description = test["description"]
            try:
                if file_reason:
                    raise Skip(file_reason)
                FileRunner(spec, uri, facts, internal).run_test(test)
            except Skip as skip:
                skipped += 1
                feature_skipped += skip.feature
                print(f"SKIP {path.name} :: {description} [{skip}]", file=out)
            except Mismatch as mismatch:
                failed += 1
                print(f"FAIL {path.name} :: {description} [{_one_line(mismatch)}]", file=out)
            except Exception as error:  # noqa: BLE001
                failed += 1
                print(f"FAIL {path.name} :: {description} [{type(error).__name__}: "
                      f"{_one_line(error)}]", file=out)
            else:
                passed += 1
                print(f"PASS {path.name} :: {description}", file=out)
            out.flush()
    internal.close()
    return passed, failed, skipped, feature_skipped


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text if len(text) <= 400 else text[:400] + "..."


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="*", type=Path, help="spec files (default: every file in --spec-dir)")
    parser.add_argument("--spec-dir", type=Path, default=DEFAULT_SPEC_DIR)
    parser.add_argument("--uri", help="an already running server; default: start one (TESSERA_BIN)")
    parser.add_argument("--threshold", type=float, default=0.85,
                        help="minimum pass rate for exit status 0 (default 0.85)")
    parser.add_argument("--self-test", action="store_true", help="check the matcher offline and exit")
    parser.add_argument("--label", default="crud-unified", help="name on the summary line (default crud-unified)")
    options = parser.parse_args(argv)
    if options.self_test:
        return self_test()
    files = options.files or sorted(options.spec_dir.glob("*.json"))
    if not files:
        print(f"no spec files in {options.spec_dir}", file=sys.stderr)
        return 2
    server = None
    uri = options.uri
    with tempfile.TemporaryDirectory(prefix="tessera-unified-") as scratch:
        if uri is None:
            from tessera_server import TesseraServer
            # Test commands on, so the failPoint operations run (configureFailPoint).
            server = TesseraServer(Path(scratch) / "db", Path(scratch) / "server.log",
                                   extra_args=["--enable-test-commands"])
            server.start()
            # As drivers connect to a replica set (not directConnection): the scenarios expect
            # the read preferences a replica-set topology sends.
            uri = f"mongodb://127.0.0.1:{server.port}/"
        try:
            passed, failed, skipped, feature_skipped = run_files(files, uri, sys.stdout)
        finally:
            if server is not None:
                code = server.stop()
                if code != 0:
                    print(f"note: tessera exited with {code} after SIGTERM; log tail:\n"
                          f"{server.log_tail()}", file=sys.stderr)
    counted = passed + failed + feature_skipped
    rate = passed / counted if counted else 0.0
    print(f"pass rate {rate:.1%} of {counted} applicable tests (threshold {options.threshold:.0%}); "
          f"expectEvents checked")
    print(f"{options.label}: {passed} passed, {failed} failed, {skipped} skipped")
    return 0 if rate >= options.threshold else 1


# -- self-test: the matcher and helpers against hand-made cases, no server needed -----------

def self_test() -> int:
    checks = 0
    failures = []

    def expect_match(expected, actual, root=True):
        nonlocal checks
        checks += 1
        try:
            Matcher({"e1": {"a": 1}}).match(expected, actual, root=root)
        except Mismatch as mismatch:
            failures.append(f"should match: {expected!r} vs {actual!r}: {mismatch}")

    def expect_mismatch(expected, actual, root=True):
        nonlocal checks
        checks += 1
        try:
            Matcher({"e1": {"a": 1}}).match(expected, actual, root=root)
        except Mismatch:
            return
        failures.append(f"should not match: {expected!r} vs {actual!r}")

    # numbers: int, long and double of equal value are equal; bool is not a number
    expect_match(1, Int64(1)); expect_match(1.0, 1); expect_match(Int64(5), 5.0)
    expect_mismatch(1, 2); expect_mismatch(1, True); expect_mismatch(True, 1); expect_mismatch(1, "1")
    expect_match(True, True); expect_mismatch(False, None); expect_mismatch(None, 0)
    # root-level documents allow extra fields, nested ones do not
    expect_match({"a": 1}, {"a": 1, "b": 2})
    expect_mismatch({"a": {"x": 1}}, {"a": {"x": 1, "y": 2}})
    expect_mismatch({"a": 1, "b": 2}, {"a": 1})
    expect_mismatch({"a": 1}, {"a": 1, "b": 2}, root=False)
    # arrays: exact length, order matters; documents in a root-level array are root-level
    expect_match([{"_id": 1}], [{"_id": 1, "x": 2}])
    expect_mismatch([1, 2], [2, 1]); expect_mismatch([1], [1, 2]); expect_mismatch([], [1])
    expect_mismatch({"a": [{"x": 1}]}, {"a": [{"x": 1, "y": 1}]})
    # $$exists
    expect_match({"a": {"$$exists": True}}, {"a": None})
    expect_match({"a": {"$$exists": False}}, {"b": 1})
    expect_mismatch({"a": {"$$exists": True}}, {"b": 1})
    expect_mismatch({"a": {"$$exists": False}}, {"a": 1})
    # $$type
    expect_match({"$$type": "int"}, 5); expect_match({"$$type": "long"}, Int64(5))
    expect_match({"$$type": ["int", "long"]}, Int64(5)); expect_mismatch({"$$type": "int"}, Int64(5))
    expect_match({"$$type": "objectId"}, ObjectId()); expect_mismatch({"$$type": "string"}, 1)
    expect_match({"$$type": "object"}, {"x": 1}); expect_match({"$$type": "array"}, [])
    expect_match({"$$type": "number"}, 1.5); expect_mismatch({"$$type": "number"}, "1")
    expect_match({"$$type": "date"}, datetime.datetime(2020, 1, 1)); expect_match({"$$type": "null"}, None)
    expect_match({"$$type": "bool"}, False); expect_mismatch({"$$type": "int"}, True)
    # $$unsetOrMatches
    expect_match({"a": {"$$unsetOrMatches": 1}}, {})
    expect_match({"a": {"$$unsetOrMatches": 1}}, {"a": 1})
    expect_mismatch({"a": {"$$unsetOrMatches": 1}}, {"a": 2})
    expect_match({"$$unsetOrMatches": {"insertedId": 1}}, None)
    expect_match({"$$unsetOrMatches": {"insertedId": {"$$unsetOrMatches": 1}}}, {"insertedId": 1})
    expect_mismatch({"$$unsetOrMatches": {"insertedId": 1}}, {"insertedId": 2})
    # $$matchesEntity, $$lte
    expect_match({"$$matchesEntity": "e1"}, {"a": 1}); expect_mismatch({"$$matchesEntity": "e1"}, {"a": 2})
    expect_match({"n": {"$$lte": 3}}, {"n": 3}); expect_mismatch({"n": {"$$lte": 3}}, {"n": 4})
    # strings and other scalars
    expect_match("x", "x"); expect_mismatch("x", "y"); expect_mismatch({"a": "1"}, {"a": 1})
    # the Extended JSON loader keeps $numberLong as long and $$ keys as plain keys
    checks += 1
    loaded = json_util.loads('{"a": {"$numberLong": "7"}, "b": {"$$type": "int"}}', json_options=JSON_OPTIONS)
    if not (isinstance(loaded["a"], Int64) and loaded["b"] == {"$$type": "int"}):
        failures.append(f"loader: {loaded!r}")
    # requirements
    facts = ServerFacts.__new__(ServerFacts)
    facts.version, facts.topology = "7.0.0", "single"
    for requirement, met in (([{"minServerVersion": "4.4"}], True), ([{"maxServerVersion": "4.2.99"}], False),
                             ([{"minServerVersion": "8.0"}], False),
                             ([{"topologies": ["replicaset"]}, {"minServerVersion": "3.6"}], True),
                             ([{"topologies": ["replicaset", "sharded"]}], False),
                             ([{"serverless": "forbid"}], True), ([{"serverless": "require"}], False),
                             ([{"minServerVersion": "7.0.0", "maxServerVersion": "7.0.99"}], True)):
        checks += 1
        if (facts.unmet(requirement) is None) != met:
            failures.append(f"requirement {requirement}: expected met={met}")
    for failure in failures:
        print(f"self-test FAIL: {failure}")
    print(f"self-test: {checks - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception:  # noqa: BLE001
        traceback.print_exc()
        sys.exit(2)
