# Text indexes and $text through pymongo against a real `tessera serve`: index creation as
# mongod stores it ({_fts: "text", _ftsx: 1} + weights, languages, textIndexVersion 3), one text
# index per collection, $text terms / phrases / negation / $language / $caseSensitive /
# $diacriticSensitive, compound text indexes with an equality prefix, {$meta: "textScore"} in
# projection and sort, explain's TEXT_MATCH / TEXT_OR, and index maintenance on writes.
# Expected scores are computed here independently from the documents: MongoDB's formula
# (fts_spec.cpp _scoreStringV2) over term frequencies and field weights.

from __future__ import annotations

import re

import pytest
from pymongo import TEXT
from pymongo.errors import OperationFailure

ENGLISH_STOP_WORDS = {"the", "a", "an", "and", "are", "is", "of", "to", "in", "it"}


def words(text: str) -> list[str]:
    """ASCII words of the test texts (spaces and punctuation delimit), lowercased."""
    return [word.lower() for word in re.split(r"[^A-Za-z0-9']+", text) if word]


def field_scores(text: str, weight: float, stem=lambda word: word, stop=frozenset()) -> dict[str, float]:
    """MongoDB's per-string term scores: weight x frequency (the n-th repeat adds 1/2^(n-1))
    x (0.5 x count / tokens + 0.5), x 1.1 when the term is the whole string."""
    terms = [stem(word) for word in words(text) if word not in stop]
    scores: dict[str, float] = {}
    for term in set(terms):
        count = terms.count(term)
        frequency = sum(1 / 2**k for k in range(count))
        coefficient = 0.5 * count / len(terms) + 0.5
        adjustment = 1.1 if text.lower() == term else 1.0
        scores[term] = weight * frequency * coefficient * adjustment
    return scores


def document_scores(document: dict, weights: dict[str, float], **options) -> dict[str, float]:
    total: dict[str, float] = {}
    for field, weight in weights.items():
        value = document.get(field)
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str):
                for term, score in field_scores(text, weight, **options).items():
                    total[term] = total.get(term, 0.0) + score
    return total


def expected_score(document: dict, weights: dict[str, float], query_terms: list[str], **options) -> float:
    scores = document_scores(document, weights, **options)
    return sum(scores.get(term, 0.0) for term in set(query_terms))


POSTS = [
    {"_id": 1, "title": "alpha", "body": "alpha beta gamma alpha"},
    {"_id": 2, "title": "beta gamma", "body": "delta alpha"},
    {"_id": 3, "title": "gamma", "body": "gamma gamma gamma delta epsilon"},
    {"_id": 4, "title": "epsilon zeta", "body": "zeta eta theta beta"},
    {"_id": 5, "title": "nothing here", "body": "iota kappa"},
    {"_id": 6, "title": "alpha alpha alpha", "body": ["beta", "alpha beta"]},
]
WEIGHTS = {"title": 3, "body": 1}


@pytest.fixture
def posts(coll):
    coll.insert_many(POSTS)
    coll.create_index([("title", TEXT), ("body", TEXT)], weights={"title": 3}, default_language="none")
    return coll


def search(coll, text: str, **arguments):
    query = {"$text": {"$search": text, **arguments}}
    return list(coll.find(query, {"score": {"$meta": "textScore"}}))


def test_created_index_is_stored_as_mongod_stores_it(posts):
    index = posts.index_information()["title_text_body_text"]
    assert index["key"] == [("_fts", "text"), ("_ftsx", 1)]
    assert index["weights"] == {"body": 1, "title": 3}
    assert index["default_language"] == "none"
    assert index["language_override"] == "language"
    assert index["textIndexVersion"] == 3


def test_scores_follow_the_formula(posts):
    for query in ["alpha", "alpha beta", "gamma", "zeta theta", "delta epsilon alpha"]:
        found = {document["_id"]: document["score"] for document in search(posts, query)}
        terms = words(query)
        expected = {
            document["_id"]: expected_score(document, WEIGHTS, terms)
            for document in POSTS
            if expected_score(document, WEIGHTS, terms) > 0
        }
        assert found.keys() == expected.keys(), query
        for key, score in expected.items():
            assert found[key] == pytest.approx(score, rel=1e-12), (query, key)


def test_sort_by_text_score_orders_by_descending_score(posts):
    query = {"$text": {"$search": "alpha gamma"}}
    meta = {"$meta": "textScore"}
    results = list(posts.find(query, {"score": meta}).sort([("score", meta)]))
    scores = [document["score"] for document in results]
    assert scores == sorted(scores, reverse=True)
    expected = {document["_id"] for document in POSTS if expected_score(document, WEIGHTS, ["alpha", "gamma"]) > 0}
    assert {document["_id"] for document in results} == expected
    limited = list(posts.find(query, {"score": meta}).sort([("score", meta)]).limit(2))
    assert [document["_id"] for document in limited] == [document["_id"] for document in results[:2]]


def test_projection_with_fields_and_score(posts):
    results = list(posts.find({"$text": {"$search": "epsilon"}}, {"title": 1, "score": {"$meta": "textScore"}}))
    assert sorted(document["_id"] for document in results) == [3, 4]
    for document in results:
        assert set(document) == {"_id", "title", "score"}


def test_phrases_need_the_exact_sequence(posts):
    assert sorted(d["_id"] for d in search(posts, '"alpha beta"')) == [1, 6]
    assert sorted(d["_id"] for d in search(posts, '"gamma alpha"')) == [1]
    assert search(posts, '"alpha zeta"') == []


def test_negated_terms_and_phrases_exclude(posts):
    assert sorted(d["_id"] for d in search(posts, "alpha -beta")) == []
    assert sorted(d["_id"] for d in search(posts, "gamma -delta")) == [1]
    assert sorted(d["_id"] for d in search(posts, 'alpha -"alpha beta"')) == [2]
    # A hyphen inside a word does not negate.
    assert sorted(d["_id"] for d in search(posts, "iota-kappa")) == [5]
    # Only negations: nothing matches.
    assert search(posts, "-alpha") == []


def test_rest_of_the_filter_applies(posts):
    results = posts.find({"$text": {"$search": "alpha"}, "_id": {"$gt": 2}})
    assert sorted(d["_id"] for d in results) == [6]
    results = posts.find({"$and": [{"$text": {"$search": "gamma"}}, {"title": "gamma"}]})
    assert [d["_id"] for d in results] == [3]
    assert posts.count_documents({"$text": {"$search": "alpha"}}) == 3


def test_text_query_needs_a_text_index(coll):
    coll.insert_one({"_id": 1, "body": "alpha"})
    with pytest.raises(OperationFailure) as raised:
        list(coll.find({"$text": {"$search": "alpha"}}))
    assert raised.value.code == 27
    assert "text index required for $text query" in str(raised.value)


def test_one_text_index_per_collection(posts):
    # Every text index's key pattern is {_fts: "text", _ftsx: 1}: another one is an
    # equivalent index (85) whose weights differ; with other key fields, mongod's 67.
    with pytest.raises(OperationFailure) as raised:
        posts.create_index([("other", TEXT)])
    assert raised.value.code == 85
    with pytest.raises(OperationFailure) as raised:
        posts.create_index([("title", TEXT), ("body", TEXT)], weights={"title": 4}, name="title_text_body_text")
    assert raised.value.code == 85
    with pytest.raises(OperationFailure) as raised:
        posts.create_index([("kind", 1), ("other", TEXT)])
    assert raised.value.code == 67
    assert "only one text index per collection allowed" in str(raised.value)
    # The same index again is no change.
    assert posts.create_index([("title", TEXT), ("body", TEXT)], weights={"title": 3},
                              default_language="none") == "title_text_body_text"


def test_malformed_text_arguments(posts):
    for argument, message in [
        ({"$search": 1}, "$search requires a string value"),
        ({}, "$search required"),
        ({"$search": "a", "$caseSensitive": 1}, "$caseSensitive requires a boolean value"),
        ({"$search": "a", "$foo": 1}, "extra fields in $text"),
        ({"$search": "a", "$language": "klingon"}, "unsupported language"),
    ]:
        with pytest.raises(OperationFailure) as raised:
            list(posts.find({"$text": argument}))
        assert raised.value.code == 2, argument
        assert message in str(raised.value), argument
    with pytest.raises(OperationFailure) as raised:
        list(posts.find({"$or": [{"$text": {"$search": "a"}}, {"x": 1}]}))
    assert raised.value.code == 2


def test_bad_index_options_are_refused(coll):
    for keys, options in [
        ([("a", TEXT)], {"weights": {"a": 0}}),
        ([("a", TEXT)], {"weights": {"a": 100000}}),
        ([("a", TEXT)], {"default_language": "klingon"}),
        ([("a", TEXT)], {"language_override": "$x"}),
        ([("a", TEXT), ("b", 1), ("c", TEXT)], {}),
    ]:
        with pytest.raises(OperationFailure) as raised:
            coll.create_index(keys, **options)
        assert raised.value.code == 67, (keys, options)


def test_english_stems_and_drops_stop_words(coll):
    coll.insert_many([
        {"_id": 1, "body": "The cats are running"},
        {"_id": 2, "body": "A cat runs"},
        {"_id": 3, "body": "dogs sleeping"},
    ])
    coll.create_index([("body", TEXT)])
    assert sorted(d["_id"] for d in coll.find({"$text": {"$search": "cat"}})) == [1, 2]
    assert sorted(d["_id"] for d in coll.find({"$text": {"$search": "run"}})) == [1, 2]
    assert list(coll.find({"$text": {"$search": "the are"}})) == []
    # Stemming is by Snowball's English (Porter2): cats, runs, running -> cat, run.
    stems = {"cats": "cat", "running": "run", "runs": "run", "cat": "cat"}
    for document in coll.find({"$text": {"$search": "cat"}}, {"score": {"$meta": "textScore"}}):
        source = next(d for d in [{"_id": 1, "body": "The cats are running"}, {"_id": 2, "body": "A cat runs"}]
                      if d["_id"] == document["_id"])
        expected = expected_score(source, {"body": 1}, ["cat"], stem=lambda w: stems.get(w, w),
                                  stop=ENGLISH_STOP_WORDS)
        assert document["score"] == pytest.approx(expected, rel=1e-12)


def test_case_and_diacritic_sensitivity(coll):
    coll.insert_many([
        {"_id": 1, "body": "Café Alpha"},
        {"_id": 2, "body": "cafe alpha"},
    ])
    coll.create_index([("body", TEXT)], default_language="none")
    def ids(**arguments):
        return sorted(d["_id"] for d in coll.find({"$text": arguments}))
    assert ids(**{"$search": "cafe"}) == [1, 2]
    assert ids(**{"$search": "CAFÉ"}) == [1, 2]
    assert ids(**{"$search": "café", "$diacriticSensitive": True}) == [1]
    assert ids(**{"$search": "Alpha", "$caseSensitive": True}) == [1]
    assert ids(**{"$search": "alpha", "$caseSensitive": True}) == [2]
    assert ids(**{"$search": '"café alpha"'}) == [1, 2]
    assert ids(**{"$search": '"Café Alpha"', "$caseSensitive": True}) == [1]


def test_language_override_and_query_language(coll):
    coll.insert_many([
        {"_id": 1, "body": "the"},
        {"_id": 2, "body": "the", "language": "none"},
    ])
    coll.create_index([("body", TEXT)])
    # English drops "the" from document 1; document 2 is tokenized without stop words.
    assert [d["_id"] for d in coll.find({"$text": {"$search": "the", "$language": "none"}})] == [2]
    assert list(coll.find({"$text": {"$search": "the"}})) == []
    with pytest.raises(OperationFailure) as raised:
        coll.insert_one({"_id": 3, "body": "x", "language": "klingon"})
    assert raised.value.code == 17262


def test_compound_text_index_needs_equality_on_its_prefix(coll):
    coll.insert_many([
        {"_id": 1, "category": "a", "body": "alpha"},
        {"_id": 2, "category": "b", "body": "alpha"},
        {"_id": 3, "category": "a", "body": "beta"},
    ])
    coll.create_index([("category", 1), ("body", TEXT)], default_language="none")
    found = coll.find({"category": "a", "$text": {"$search": "alpha"}})
    assert [d["_id"] for d in found] == [1]
    with pytest.raises(OperationFailure) as raised:
        list(coll.find({"$text": {"$search": "alpha"}}))
    assert raised.value.code == 2
    explain = coll.find({"category": "b", "$text": {"$search": "alpha"}}).explain()
    assert explain["queryPlanner"]["winningPlan"]["indexPrefix"] == {"category": "b"}


def test_wildcard_text_index_reads_every_string(coll):
    coll.insert_many([
        {"_id": 1, "a": {"b": "alpha"}, "c": 1},
        {"_id": 2, "list": ["x", {"deep": "alpha alpha"}]},
        {"_id": 3, "other": "beta"},
    ])
    coll.create_index([("$**", TEXT)], default_language="none")
    results = {d["_id"]: d["score"] for d in search(coll, "alpha")}
    assert results == {
        1: pytest.approx(expected_score({"t": "alpha"}, {"t": 1}, ["alpha"])),
        2: pytest.approx(expected_score({"t": "alpha alpha"}, {"t": 1}, ["alpha"])),
    }


def test_explain_shows_text_match_and_text_or(posts):
    explain = posts.find({"$text": {"$search": "alpha -zeta \"beta gamma\""}}).explain()
    plan = explain["queryPlanner"]["winningPlan"]
    assert plan["stage"] == "TEXT_MATCH"
    assert plan["parsedTextQuery"] == {
        "terms": ["alpha", "beta", "gamma"], "negatedTerms": ["zeta"],
        "phrases": ["beta gamma"], "negatedPhrases": [],
    }
    assert plan["inputStage"]["stage"] == "FETCH"
    assert plan["inputStage"]["inputStage"]["stage"] == "TEXT_OR"
    assert len(plan["inputStage"]["inputStage"]["inputStages"]) == 3
    assert explain["executionStats"]["nReturned"] == len(search(posts, "alpha -zeta \"beta gamma\""))


def test_writes_maintain_the_index(posts):
    posts.update_one({"_id": 5}, {"$set": {"body": "alpha"}})
    assert 5 in {d["_id"] for d in search(posts, "alpha")}
    posts.delete_one({"_id": 1})
    assert 1 not in {d["_id"] for d in search(posts, "alpha")}
    posts.update_one({"_id": 2}, {"$set": {"body": "omega"}, "$unset": {"title": ""}})
    assert [d["_id"] for d in search(posts, "omega")] == [2]
    assert 2 not in {d["_id"] for d in search(posts, "gamma")}


def test_text_in_the_first_match_of_an_aggregation(posts):
    pipeline = [{"$match": {"$text": {"$search": "alpha"}, "_id": {"$lt": 6}}}, {"$project": {"title": 1}}]
    found = sorted(document["_id"] for document in posts.aggregate(pipeline))
    expected = sorted(document["_id"] for document in POSTS
                      if document["_id"] < 6 and expected_score(document, WEIGHTS, ["alpha"]) > 0)
    assert found == expected
    grouped = list(posts.aggregate([{"$match": {"$text": {"$search": "gamma"}}}, {"$count": "n"}]))
    assert grouped == [{"n": posts.count_documents({"$text": {"$search": "gamma"}})}]


def test_text_is_refused_after_the_first_stage(posts):
    with pytest.raises(OperationFailure) as raised:
        list(posts.aggregate([{"$project": {"title": 1}}, {"$match": {"$text": {"$search": "alpha"}}}]))
    assert raised.value.code == 17313


def test_updates_and_deletes_select_by_text(posts):
    matching = {d["_id"] for d in search(posts, "zeta")}
    result = posts.update_many({"$text": {"$search": "zeta"}}, {"$set": {"tagged": True}})
    assert result.matched_count == len(matching)
    assert {d["_id"] for d in posts.find({"tagged": True})} == matching
    gone = {d["_id"] for d in search(posts, "gamma") if d["_id"] != 3}
    deleted = posts.delete_many({"$text": {"$search": "gamma"}, "_id": {"$ne": 3}})
    assert deleted.deleted_count == len(gone)
    assert {d["_id"] for d in posts.find()} == {d["_id"] for d in POSTS} - gone


def test_text_indexes_compare_bytes_not_collations(db):
    db.create_collection("french", collation={"locale": "fr"})
    with pytest.raises(OperationFailure) as raised:
        db.french.create_index([("body", TEXT)])
    assert raised.value.code == 67
    assert "does not support collation" in str(raised.value)
    db.french.create_index([("body", TEXT)], collation={"locale": "simple"})
    db.french.insert_one({"_id": 1, "body": "Élan vital"})
    assert [d["_id"] for d in db.french.find({"$text": {"$search": "elan"}})] == [1]
    assert "collation" not in db.french.index_information()["body_text"]


def test_find_and_modify_picks_the_best_scored_match(posts):
    meta = {"$meta": "textScore"}
    best = list(posts.find({"$text": {"$search": "alpha"}}, {"score": meta}).sort([("score", meta)]).limit(1))[0]
    changed = posts.find_one_and_update({"$text": {"$search": "alpha"}}, {"$set": {"picked": True}},
                                        sort=[("score", meta)])
    assert changed["_id"] == best["_id"]
    assert [d["_id"] for d in posts.find({"picked": True})] == [best["_id"]]
    removed = posts.find_one_and_delete({"$text": {"$search": "epsilon"}, "_id": 4})
    assert removed["_id"] == 4 and posts.find_one({"_id": 4}) is None


def test_distinct_selects_by_text(posts):
    expected = sorted({d["title"] for d in search(posts, "beta")})
    assert sorted(posts.distinct("title", {"$text": {"$search": "beta"}})) == expected


def test_text_score_in_the_stages_after_an_aggregations_text_match(posts):
    meta = {"$meta": "textScore"}
    query = {"$text": {"$search": "alpha gamma"}}
    expected = {d["_id"]: expected_score(d, WEIGHTS, ["alpha", "gamma"]) for d in POSTS
                if expected_score(d, WEIGHTS, ["alpha", "gamma"]) > 0}
    ranked = sorted(expected, key=lambda key: -expected[key])
    results = list(posts.aggregate([
        {"$match": query}, {"$project": {"title": 1, "score": meta}}, {"$sort": {"score": meta}}, {"$limit": 2},
    ]))
    assert [d["_id"] for d in results] == ranked[:2]
    for document in results:
        assert set(document) == {"_id", "title", "score"}
        assert document["score"] == pytest.approx(expected[document["_id"]], rel=1e-12)
    # $addFields of the score, then stages the pipeline runs itself over the scored documents.
    results = list(posts.aggregate([
        {"$match": query}, {"$addFields": {"s": meta}}, {"$match": {"s": {"$gt": 0}}},
        {"$group": {"_id": None, "total": {"$sum": "$s"}}},
    ]))
    assert results[0]["total"] == pytest.approx(sum(expected.values()), rel=1e-12)


def test_explain_of_a_text_aggregation_names_its_stages(posts):
    meta = {"$meta": "textScore"}
    pipeline = [{"$match": {"$text": {"$search": "alpha"}}}, {"$sort": {"score": meta}}, {"$count": "n"}]
    explain = posts.database.command("aggregate", posts.name, pipeline=pipeline, explain=True)
    assert [next(iter(stage)) for stage in explain["stages"]][-1] == "$count"
