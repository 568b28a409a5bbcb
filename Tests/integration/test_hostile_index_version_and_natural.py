# Hostile numbers in two places this stop opened to clients: an index's version `v` (now
# validated by createIndexes, as mongod 8.0 does) and the `$natural` direction in find's sort
# and hint. Every extreme gets a coded error, the server stays up, and nothing is created or
# lost. The expected code follows mongod's rules: `v` must be a number (14), an exact 32-bit
# integer (2), and 1 or 2 (67); `$natural` must be exactly 1 or -1 (2, BadValue).

from __future__ import annotations

import math

import pytest
from bson import Decimal128, Int64
from pymongo.errors import OperationFailure

EXTREMES = [Int64(2**63 - 1), Int64(-2**63), 2**31, -2**31 - 1, math.inf, -math.inf, math.nan, -0.0, 0, 3,
            1.5, 1e308, Decimal128("NaN"), Decimal128("-Infinity"), Decimal128("1E+6144"), "", "x" * 100_000,
            [], {}, None, True]


def expected_version_code(value) -> int:
    """mongod's index_key_validate: not a number 14; not an exact int32 2; not 1 or 2 67."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal128)):
        return 14
    number = value.to_decimal() if isinstance(value, Decimal128) else value
    as_float = float(number)
    if math.isnan(as_float) or math.isinf(as_float) or as_float != int(as_float) or not -2**31 <= int(as_float) < 2**31:
        return 2
    return 67


@pytest.mark.parametrize("value", EXTREMES, ids=lambda v: repr(v)[:30])
def test_extreme_index_versions_are_refused_with_mongods_code(db, value):
    coll = db["ver"]
    coll.insert_one({"_id": 1, "a": 1})
    with pytest.raises(OperationFailure) as refused:
        db.command("createIndexes", "ver", indexes=[{"key": {"a": 1}, "name": "a1", "v": value}])
    assert refused.value.code == expected_version_code(value), refused.value.details
    assert [spec["name"] for spec in coll.list_indexes()] == ["_id_"]
    assert db.command("ping")["ok"] == 1
    assert list(coll.find()) == [{"_id": 1, "a": 1}]


@pytest.mark.parametrize("value", EXTREMES, ids=lambda v: repr(v)[:30])
def test_extreme_natural_directions_are_bad_value_in_sort_and_hint(coll, value):
    coll.insert_many([{"_id": 1}, {"_id": 2}])
    for options in ({"sort": {"$natural": value}}, {"hint": {"$natural": value}}):
        with pytest.raises(OperationFailure) as refused:
            coll.database.command("find", coll.name, **options)
        assert refused.value.code == 2, (options, refused.value.details)
    assert coll.database.command("ping")["ok"] == 1
    assert sorted(d["_id"] for d in coll.find()) == [1, 2]
