"""Where w3-near's and text-search's time goes on Tessera: explain (executionStats) of queries
shaped as `tessera bench` sends them, against a release `tessera serve` whose data was loaded
by `tessera bench --workload w3-near` / `text-search` (same seeds, same data as bench-compare).
Usage: python explain.py PORT SAMPLES"""

import random
import statistics
import sys
from datetime import datetime, timezone

from pymongo import MongoClient

NOW_MS = 1_795_219_200_000
DAY_MS = 86_400_000
SYLLABLES = ["ka", "lo", "mi", "nu", "pe", "ra", "si", "to", "vu", "ze"]


def word(index):
    out = ""
    for _ in range(4):
        out += SYLLABLES[index % 10]
        index //= 10
    return out


def stats(db, name, command):
    plan = db.command({"explain": command, "verbosity": "executionStats"})["executionStats"]
    return plan["nReturned"], plan["totalDocsExamined"], plan["totalKeysExamined"], plan["executionTimeMillis"]


def summarise(label, rows, winning):
    returned = [r[0] for r in rows]
    docs = [r[1] for r in rows]
    keys = [r[2] for r in rows]
    millis = [r[3] for r in rows]
    total_returned = sum(returned)
    print(f"{label}: {len(rows)} queries; plan {winning}")
    print(f"  nReturned mean {statistics.mean(returned):.1f}; docsExamined mean {statistics.mean(docs):.1f}, "
          f"per result {sum(docs) / max(total_returned, 1):.2f}; keysExamined mean {statistics.mean(keys):.1f}, "
          f"per result {sum(keys) / max(total_returned, 1):.2f}; executionTimeMillis mean {statistics.mean(millis):.2f}, "
          f"max {max(millis)}")


def main():
    port, samples = int(sys.argv[1]), int(sys.argv[2])
    db = MongoClient(port=port, directConnection=True)["bench"]
    rng = random.Random(7)
    if db.matches_geo.estimated_document_count():
        rows = []
        winning = None
        for _ in range(samples):
            lng, lat = rng.uniform(-9.3, -8.9), rng.uniform(38.6, 38.9)
            level = rng.randint(1, 8)
            start = datetime.fromtimestamp((NOW_MS + rng.randrange(DAY_MS)) / 1000, tz=timezone.utc)
            command = {"find": "matches_geo", "filter": {
                "location": {"$near": {"$geometry": {"type": "Point", "coordinates": [lng, lat]}, "$maxDistance": 20000.0}},
                "public": True, "level": {"$gte": level, "$lte": level + 2}, "date": {"$gte": start}},
                "limit": 50, "batchSize": 50, "singleBatch": True}
            rows.append(stats(db, "w3-near", command))
            if winning is None:
                plan = db.command({"explain": command, "verbosity": "queryPlanner"})["queryPlanner"]["winningPlan"]
                winning = plan
        summarise(f"w3-near over {db.matches_geo.estimated_document_count():,} matches", rows, winning)
    if db.posts.estimated_document_count():
        rows = []
        winning = None
        for _ in range(samples):
            terms = f"{word(rng.randrange(10_000))} {word(rng.randrange(10_000))}"
            score = {"$meta": "textScore"}
            command = {"find": "posts", "filter": {"$text": {"$search": terms}}, "projection": {"score": score},
                       "sort": {"score": score}, "limit": 20, "singleBatch": True}
            rows.append(stats(db, "text-search", command))
            if winning is None:
                winning = db.command({"explain": command, "verbosity": "queryPlanner"})["queryPlanner"]["winningPlan"]
        summarise(f"text-search over {db.posts.estimated_document_count():,} posts", rows, winning)


if __name__ == "__main__":
    main()
