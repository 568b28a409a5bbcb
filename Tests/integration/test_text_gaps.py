# The text search gaps of issue 20 closed, through pymongo against a real `tessera serve`:
# stop words in every language mongod's text index stems (checked against the Snowball lists as
# Debian ships them, read here from the package's files, not from Tessera), `default_language`,
# `language_override` and `$language`; `{$meta: "textScore"}` after stages the text search does
# not fold (and mongod's 40218 where the score is gone, after `$group` or without `$text`);
# explain of an aggregation that starts with a `$text` match; `hint` and a `$natural` sort
# beside `$text` (mongod's BadValue).

from __future__ import annotations

from pathlib import Path

import pytest
from pymongo import TEXT
from pymongo.errors import OperationFailure

from test_text_search import expected_score

SNOWBALL_LISTS = Path("/usr/share/postgresql/15/tsearch_data")
# mongod's stemmed languages with a Snowball stop-word list (Romanian has none in mongod either).
# English is left out: PostgreSQL ships an older Snowball English list (with "s", "t", "just"...
# and without the apostrophe forms); Tessera keeps Snowball's current one, which mongod uses.
LANGUAGES = ["danish", "dutch", "finnish", "french", "german", "hungarian", "italian",
             "norwegian", "portuguese", "russian", "spanish", "swedish", "turkish"]


def snowball_stop_words(language: str) -> list[str]:
    path = SNOWBALL_LISTS / f"{language}.stop"
    if not path.exists():
        pytest.fail(f"{path} missing: scripts/ensure-packages installs postgresql-15, which ships the lists")
    return [word.strip() for word in path.read_text(encoding="utf-8").splitlines() if word.strip()]


def ids(cursor) -> list:
    return sorted(document["_id"] for document in cursor)


@pytest.mark.parametrize("language", LANGUAGES)
def test_stop_words_of_every_language_are_neither_indexed_nor_searched(coll, language):
    stop_words = snowball_stop_words(language)
    coll.insert_many([
        {"_id": 1, "t": " ".join(stop_words), "language": language},
        {"_id": 2, "t": " ".join(stop_words), "language": "none"},
    ])
    coll.create_index([("t", TEXT)])
    for word in stop_words:
        # Dropped from the query in the document's language: nothing to look for.
        assert ids(coll.find({"$text": {"$search": word, "$language": language}})) == [], word
    # Read without stop words, the same words find only the document indexed without them.
    sample = stop_words[: min(len(stop_words), 25)]
    found = {word: ids(coll.find({"$text": {"$search": word, "$language": "none"}})) for word in sample}
    assert all(hits == [2] for hits in found.values()), found


def test_default_language_drops_its_stop_words_from_the_score(coll):
    coll.insert_many([
        {"_id": 1, "t": "le chat et un chien"},
        {"_id": 2, "t": "un chat"},
    ])
    coll.create_index([("t", TEXT)], default_language="french")
    assert ids(coll.find({"$text": {"$search": "le"}})) == []
    scores = {d["_id"]: d["s"] for d in coll.find({"$text": {"$search": "chat"}}, {"s": {"$meta": "textScore"}})}
    # Stop words are no tokens: "chat" is one of two terms (chat, chien) in 1, the only one in 2.
    stop = set(snowball_stop_words("french"))
    stem = lambda word: "chat" if word.startswith("chat") else word  # noqa: E731 (French stems of the test words)
    assert scores == {
        1: pytest.approx(expected_score({"t": "le chat et un chien"}, {"t": 1}, ["chat"], stem=stem, stop=stop)),
        2: pytest.approx(expected_score({"t": "un chat"}, {"t": 1}, ["chat"], stem=stem, stop=stop)),
    }


def test_language_override_and_query_language(coll):
    coll.insert_many([
        {"_id": 1, "t": "die Katzen und der Hund", "lang": "german"},
        {"_id": 2, "t": "the cats and the dog", "lang": "english"},
        {"_id": 3, "t": "und die", "language": "german"},  # not the override field: the default applies
    ])
    coll.create_index([("t", TEXT)], default_language="none", language_override="lang")
    # German: stop words gone, "Katzen" stemmed to "katz".
    assert ids(coll.find({"$text": {"$search": "katze", "$language": "german"}})) == [1]
    assert ids(coll.find({"$text": {"$search": "und", "$language": "german"}})) == []
    # Document 3 was indexed in `none`: its "und" is a term.
    assert ids(coll.find({"$text": {"$search": "und"}})) == [3]
    assert ids(coll.find({"$text": {"$search": "cat", "$language": "en"}})) == [2]
    with pytest.raises(OperationFailure) as failure:
        coll.find_one({"$text": {"$search": "x", "$language": "klingon"}})
    assert failure.value.code == 2


POSTS = [
    {"_id": 1, "title": "alpha", "tags": ["a", "b"]},
    {"_id": 2, "title": "alpha beta", "tags": ["b"]},
    {"_id": 3, "title": "alpha alpha gamma", "tags": ["a"]},
    {"_id": 4, "title": "beta", "tags": []},
]
META = {"$meta": "textScore"}


@pytest.fixture
def posts(coll):
    coll.insert_many(POSTS)
    coll.create_index([("title", TEXT)], default_language="none")
    return coll


def expected(document_id: int) -> float:
    document = next(d for d in POSTS if d["_id"] == document_id)
    return expected_score(document, {"title": 1}, ["alpha"])


def test_text_score_after_stages_the_search_does_not_fold(posts):
    match = {"$match": {"$text": {"$search": "alpha"}}}
    # A $match (not folded) between the search and the projection.
    results = list(posts.aggregate([match, {"$match": {"_id": {"$gte": 2}}}, {"$project": {"s": META}}]))
    assert {d["_id"]: d["s"] for d in results} == {2: pytest.approx(expected(2)), 3: pytest.approx(expected(3))}
    assert all(set(d) == {"_id", "s"} for d in results)
    # Through $unwind and an inclusion $project, sorted by the score afterwards.
    results = list(posts.aggregate([match, {"$unwind": "$tags"}, {"$project": {"tags": 1}},
                                    {"$sort": {"score": META, "tags": 1}}, {"$addFields": {"s": META}}]))
    pairs = [(d["_id"], d["tags"]) for d in results]
    wanted = sorted(((d["_id"], tag) for d in POSTS if d["_id"] in (1, 2, 3) for tag in d["tags"]),
                    key=lambda pair: (-expected(pair[0]), pair[1]))
    assert pairs == wanted
    assert [d["s"] for d in results] == [pytest.approx(expected(i)) for i, _ in wanted]
    # In $group's accumulators (the documents still carry it) and $replaceRoot keeps it.
    total = list(posts.aggregate([match, {"$match": {"_id": {"$gt": 0}}},
                                  {"$group": {"_id": None, "sum": {"$sum": META}, "n": {"$sum": 1}}}]))
    assert total[0]["sum"] == pytest.approx(sum(expected(i) for i in (1, 2, 3))) and total[0]["n"] == 3
    replaced = list(posts.aggregate([match, {"$match": {"_id": 1}}, {"$replaceWith": {"x": "$title"}},
                                     {"$project": {"x": 1, "s": META}}]))
    assert replaced == [{"x": "alpha", "s": pytest.approx(expected(1))}]
    # $meta beside exclusions (mongod allows it in an exclusion projection).
    excluded = list(posts.aggregate([match, {"$match": {"_id": 2}}, {"$project": {"tags": 0, "s": META}}]))
    assert excluded == [{"_id": 2, "title": "alpha beta", "s": pytest.approx(expected(2))}]
    # No hidden field reaches the client, nor a later stage's $$ROOT.
    plain = list(posts.aggregate([match, {"$match": {"_id": 1}}, {"$addFields": {"s": META}}]))
    assert plain == [{**POSTS[0], "s": pytest.approx(expected(1))}]
    pushed = list(posts.aggregate([match, {"$match": {"_id": 1}}, {"$addFields": {"s": META}},
                                   {"$group": {"_id": None, "all": {"$push": "$$ROOT"}}}]))
    assert pushed == [{"_id": None, "all": [{**POSTS[0], "s": pytest.approx(expected(1))}]}]


def test_text_score_where_mongod_has_none_is_40218(posts):
    match = {"$match": {"$text": {"$search": "alpha"}}}
    for pipeline in (
        [match, {"$group": {"_id": "$_id"}}, {"$project": {"s": META}}],
        [match, {"$count": "n"}, {"$addFields": {"s": META}}],
        [match, {"$bucketAuto": {"groupBy": "$_id", "buckets": 2}}, {"$sort": {"s": META}}],
        [{"$match": {"title": "alpha"}}, {"$project": {"s": META}}],
        [{"$project": {"s": META}}],
    ):
        with pytest.raises(OperationFailure) as failure:
            list(posts.aggregate(pipeline))
        assert failure.value.code == 40218, pipeline
        assert "text score metadata" in str(failure.value)
    for find in (lambda: posts.find_one({}, sort=[("s", META)]), lambda: posts.find_one({}, {"s": META})):
        with pytest.raises(OperationFailure) as failure:
            find()
        assert failure.value.code == 40218
    with pytest.raises(OperationFailure) as failure:
        list(posts.aggregate([match, {"$project": {"s": {"$meta": "bogus"}}}]))
    assert failure.value.code == 17308


def test_explain_of_a_text_aggregation_shows_the_text_plan(posts):
    query = {"$text": {"$search": "alpha -beta"}}
    find_plan = posts.find(query).explain()["queryPlanner"]["winningPlan"]
    explain = posts.database.command("aggregate", posts.name, pipeline=[{"$match": query}, {"$limit": 5}], explain=True)
    cursor = explain["stages"][0]["$cursor"]
    plan = cursor["queryPlanner"]["winningPlan"]
    assert plan == find_plan
    assert plan["stage"] == "TEXT_MATCH"
    assert plan["inputStage"]["stage"] == "FETCH"
    assert plan["inputStage"]["inputStage"]["stage"] == "TEXT_OR"
    assert plan["parsedTextQuery"]["terms"] == ["alpha"] and plan["parsedTextQuery"]["negatedTerms"] == ["beta"]
    stats = posts.database.command("explain", {"aggregate": posts.name, "pipeline": [{"$match": query}], "cursor": {}},
                                   verbosity="executionStats")
    execution = stats["stages"][0]["$cursor"]["executionStats"]
    assert execution["nReturned"] == len(list(posts.find(query)))
    assert execution["executionStages"]["stage"] == "TEXT_MATCH"


def test_hint_or_natural_sort_beside_text_is_bad_value(posts):
    query = {"$text": {"$search": "alpha"}}
    for hint in ("_id_", [("_id", 1)], "title_text", [("$natural", 1)]):
        with pytest.raises(OperationFailure) as failure:
            list(posts.find(query).hint(hint))
        assert failure.value.code == 2 and "text and hint not allowed in same query" in str(failure.value), hint
    with pytest.raises(OperationFailure) as failure:
        list(posts.find(query, sort=[("$natural", -1)]))
    assert failure.value.code == 2 and "text expression not allowed with $natural sort order" in str(failure.value)
    # Without hint the same query answers.
    assert ids(posts.find(query)) == [1, 2, 3]
