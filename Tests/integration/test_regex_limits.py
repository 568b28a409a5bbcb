# Regular expressions with bounded cost (issue 14) against a real server: the ReDoS pattern
# through find's $regex and aggregate's $regexMatch answers an error under maxTimeMS 50 in well
# under a second and the server stays up; 100 invalid patterns each get an error with a code;
# a constant $regexMatch pattern is compiled once (timed against a per-document pattern).

from __future__ import annotations

import math
import random
import time

import pytest
from pymongo.errors import OperationFailure

EVIL_PATTERN = "^(a+)+$"
EVIL_TEXT = "a" * 30 + "b"
# maxTimeMS expired, or the regex errors mongod gives (expression limit 51156).
LIMIT_CODES = {50, 51156}


def assert_alive_and_intact(client, coll, expected):
    assert client.admin.command("ping")["ok"] == 1
    assert coll.count_documents({}) == expected


def test_redos_find_regex_answers_within_max_time(client, coll, figures):
    # Each match stops at PCRE2's match limit, which mongod's $regex counts as no match; the
    # find checks maxTimeMS around its scan, so enough documents are inserted for the scan to
    # take about 250 ms (timed on one document first), well past 50 ms and under 1 s.
    coll.insert_one({"_id": 0, "s": EVIL_TEXT})
    start = time.monotonic()
    assert list(coll.find({"s": {"$regex": EVIL_PATTERN}})) == []
    one = max(time.monotonic() - start, 0.001)
    count = max(2, min(200, math.ceil(0.25 / one)))
    docs = [{"_id": i, "s": EVIL_TEXT} for i in range(count)]
    coll.insert_many(docs[1:])
    start = time.monotonic()
    with pytest.raises(OperationFailure) as failure:
        list(coll.find({"s": {"$regex": EVIL_PATTERN}}, max_time_ms=50))
    elapsed = time.monotonic() - start
    figures(f"regex limits: find $regex ReDoS, one doc {one * 1000:.1f} ms; {count} docs with maxTimeMS 50 -> "
            f"code {failure.value.code} in {elapsed * 1000:.0f} ms")
    assert failure.value.code in LIMIT_CODES
    assert elapsed < 1.0, f"took {elapsed:.2f}s"
    assert_alive_and_intact(client, coll, count)
    assert coll.find_one({"_id": 1}) == docs[1]


def test_redos_single_document_is_bounded(client, coll, figures):
    coll.insert_one({"_id": 1, "s": EVIL_TEXT})
    start = time.monotonic()
    try:
        result = list(coll.find({"s": {"$regex": EVIL_PATTERN}}, max_time_ms=50))
        outcome = f"{len(result)} documents (limit reached counts as no match, as mongod)"
        assert result == []
    except OperationFailure as error:
        outcome = f"code {error.code}"
        assert error.code in LIMIT_CODES
    elapsed = time.monotonic() - start
    figures(f"regex limits: find $regex ReDoS x1 doc -> {outcome} in {elapsed * 1000:.0f} ms")
    assert elapsed < 1.0
    assert_alive_and_intact(client, coll, 1)


def test_redos_regex_match_in_aggregate_answers_error(client, coll, figures):
    coll.insert_many([{"_id": i, "s": EVIL_TEXT} for i in range(3)])
    start = time.monotonic()
    with pytest.raises(OperationFailure) as failure:
        list(coll.aggregate([{"$project": {"m": {"$regexMatch": {"input": "$s", "regex": EVIL_PATTERN}}}}],
                            maxTimeMS=50))
    elapsed = time.monotonic() - start
    figures(f"regex limits: $regexMatch ReDoS, maxTimeMS 50 -> code {failure.value.code} in {elapsed * 1000:.0f} ms")
    assert failure.value.code in LIMIT_CODES
    assert elapsed < 1.0
    assert_alive_and_intact(client, coll, 3)


def invalid_patterns() -> list[str]:
    rng = random.Random(14)
    patterns = [
        "(", ")", "a)", "(a", "[", "[z-a]", "a{2,1}", "*a", "+", "?", "a**", "\\", "(?<", "(?<n>a)(?<n>b)",
        "(?P<1>a)", "\\k<missing>", "(?z)", "[[:nope:]]", "\\p{Nope}", "(?<=a+)b", "\\c", "\\x{110000}",
        "a{99999999}", "a{0,99999999}", "(a){70000}", "x{1,2}{3,4}{5,6}" + "(",
        "(" * 10_000 + "a" + ")" * 10_000,
        "(?:" * 300 + ")" * 300,
        "a" * (1 << 20),
        "[" + "a" * 1000,
        "a\u0000b",
    ]
    alphabet = "abcxyz.*+?|^$ {},0123456789-:=!<>"
    while len(set(patterns)) < 70:
        prefix = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        patterns.append(prefix + rng.choice(["(", "[", "\\", "(?", "{1}*+*"]))
    while len(set(patterns)) < 100:
        raw = bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
        patterns.append(raw.decode("latin-1") + "(")
    return list(dict.fromkeys(patterns))


def test_invalid_patterns_answer_a_code_and_never_kill_the_server(client, coll, figures):
    coll.insert_many([{"_id": i, "s": f"text {i}"} for i in range(5)])
    patterns = invalid_patterns()
    assert len(set(patterns)) == 100
    codes: dict[int, int] = {}
    start = time.monotonic()
    for pattern in patterns:
        with pytest.raises(OperationFailure) as failure:
            list(coll.find({"s": {"$regex": pattern}}))
        assert failure.value.code, pattern[:80]
        codes[failure.value.code] = codes.get(failure.value.code, 0) + 1
        with pytest.raises(OperationFailure) as failure:
            list(coll.aggregate([{"$project": {"m": {"$regexMatch": {"input": "$s", "regex": {"$literal": pattern}}}}}]))
        assert failure.value.code, pattern[:80]
        codes[failure.value.code] = codes.get(failure.value.code, 0) + 1
    elapsed = time.monotonic() - start
    figures(f"regex limits: 100 invalid patterns x2 (find, $regexMatch) in {elapsed:.2f} s, codes {sorted(codes.items())}")
    assert set(codes) <= {2, 51091, 51109, 51111}
    assert_alive_and_intact(client, coll, 5)


def test_constant_regex_match_pattern_compiles_once(client, coll, figures):
    count = 10_000
    coll.insert_many([{"_id": i, "s": f"user{i}@example.com", "p": f"^user{i % 7}.*@example\\.(com|org)$"}
                      for i in range(count)])
    pattern = "^user[0-9]+@example\\.(com|org)$"

    def timed(regex):
        start = time.monotonic()
        rows = list(coll.aggregate([{"$project": {"m": {"$regexMatch": {"input": "$s", "regex": regex}}}},
                                    {"$match": {"m": True}}, {"$count": "n"}]))
        return time.monotonic() - start, rows

    constant_time, constant_rows = timed(pattern)
    per_document_time, _ = timed("$p")
    figures(f"regex limits: $regexMatch over {count} docs: constant pattern {constant_time * 1000:.0f} ms "
            f"(compiled once), per-document pattern {per_document_time * 1000:.0f} ms (compiled per document)")
    assert constant_rows == [{"n": count}]
