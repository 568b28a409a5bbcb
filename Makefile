# Tessera's entry points. `make run` and `make test` are the README's two commands; every
# other target is a longer job (benchmarks, fuzzing) run by hand and reported in notes.

.PHONY: run test docs integration test-scale-out crash-test soak shape-flood stream-2gb build release bench-bson bench-storage bench-query bench-aggregation bench-embedded bench-compare bench-scale-out bench-ops fuzz fuzz-bson fuzz-server test-pymongo clean

run:
	@scripts/run

test:
	@scripts/test

# The embedding API's documentation (DocC, swift-docc-plugin) into .build-docs/Tessera.doccarchive.
docs:
	@scripts/docs

# The integration suite alone (pytest + unified runner) against the debug server build.
integration:
	@scripts/integration-setup
	swift build --product tessera
	@scripts/integration-test

# Issue 21: the integration suite and the CRUD unified files against a server on PostgreSQL 15
# (`tessera serve --storage postgresql://...`); starts and removes its own cluster. Not in
# `make test`: SCALE_OUT_TESTS picks the pytest files.
test-scale-out:
	@scripts/test-scale-out

# pymongo's own test suite (from its PyPI sdist) against a debug server; long, so not in
# `make test`. Per-test results: bench-results/<date>/pymongo-suite.txt.
test-pymongo:
	@scripts/test-pymongo

# Issue 15's crash campaign: CRASH_CYCLES (default 100) SIGKILL cycles under mixed load, each
# checked after restart (acknowledged writes, transactions, indexes, change stream, dbHash).
crash-test:
	@scripts/crash-test

# Issue 15's soak: the same mixed load plus SOAK_CONNECTIONS (default 1000) connections for
# SOAK_SECONDS (default 600); RSS/fds/connections/ops/p99 per minute.
soak:
	@scripts/soak

# Issue 14's shape flood (1,100 documents of 1,000 random field names, then new collections
# before and after a restart): minutes in a debug build, so outside `make test`.
shape-flood:
	@scripts/integration-setup
	swift build --product tessera
	TESSERA_BIN=$(CURDIR)/.build/debug/tessera .venv/bin/python -m pytest Tests/integration/test_limits_shapes.py -m long -q

# Issue 14's streaming figure: find({}) and aggregate over 2 GB of documents with batches of
# 100 keep the server's RSS within 100 MiB of idle; minutes long, so outside `make test`.
stream-2gb:
	@scripts/integration-setup
	swift build --product tessera
	TESSERA_BIN=$(CURDIR)/.build/debug/tessera .venv/bin/python -m pytest Tests/integration/test_streaming_cursors.py -m long -q

build:
	@scripts/ensure-packages
	swift build

release:
	@scripts/ensure-packages
	swift build -c release

# BSON codec against libbson, same run (release build; takes a few minutes).
bench-bson:
	@scripts/bench-bson

# Every libFuzzer harness (Fuzz/: wire messages, Extended JSON, query parsers, records, BSON
# decoder), FUZZ_SECONDS (default 300) each; FUZZ_HARNESSES picks some, FUZZ_RUNS counts runs.
fuzz:
	@scripts/fuzz

# libFuzzer on the BSON decoder; FUZZ_SECONDS (default 300) bounds the run.
fuzz-bson:
	@scripts/fuzz-bson

# The structure-aware command fuzzer against a real server for FUZZ_SECONDS (default 3600),
# seed FUZZ_SEED (default: the time); findings land in Tests/integration/fuzz_crashes/new/.
fuzz-server:
	@scripts/integration-setup
	swift build --product tessera
	TESSERA_BIN=$(CURDIR)/.build/debug/tessera .venv/bin/python Tests/integration/command_fuzzer.py \
		--seconds $${FUZZ_SECONDS:-3600} $${FUZZ_SEED:+--seed $$FUZZ_SEED}

clean:
	rm -rf .build .build-*

# Issue 3's storage figures: record sizes, on-disk ratio after compaction, W1 field reads.
bench-storage:
	@scripts/bench-storage

# Issue 4's query figures: W1 counters, W4 compiled matching, W3 partial/TTL indexes, W7.
bench-query:
	@scripts/bench-query

# Issue 6's aggregation figures: W4 $group in memory vs spilling, W3 $lookup, W7 $sample.
bench-aggregation:
	@scripts/bench-aggregation

# Issue 19's embedded-API figures: findOne by _id vs raw RocksDB get, insertMany vs the insert
# command (REPORT_SCALE=0.1 make bench-embedded for a quick run).
bench-embedded:
	@scripts/bench-embedded

# Issue 8's comparison: tessera bench workloads on Tessera (TCP and embedded) and PostgreSQL 15,
# with results.json, charts and a table in bench-results/<date>/ (see docs/performance.md).
bench-compare:
	@scripts/bench-compare

# Issue 21's scale-out figures: YCSB A/B/C and W2 ingest through 1, 2 and 3 Tessera servers on
# one PostgreSQL against PostgreSQL through jsonb (scale-out.md beside table.md).
bench-scale-out:
	@scripts/bench-compare --targets postgres,tessera-pg --connections 6 --records 100000

# Issue 18's operations figures: backup and restore throughput (MB/s) of a ~2 GB store next to
# `cp -a` of the same directory (OPS_STORE_MB sets the size).
bench-ops:
	@scripts/bench-ops
