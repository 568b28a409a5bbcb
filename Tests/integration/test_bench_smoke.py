# `tessera bench` smoke test: a 2-second YCSB-B run (1,000 records, 2 connections) against
# the session's real server through the bench's own wire client, then checks the JSON it
# wrote and, with pymongo, that the data set it loaded is really on the server. Benchmarks
# themselves are not part of the suite (scripts/bench-compare runs them).

import json
import subprocess

from tessera_server import tessera_binary

RECORDS = 1_000


def run_bench(server, output, *arguments):
    """Runs `tessera bench --target tcp` against `server` over RECORDS records with a 0.2 s
    warm-up, writing JSON to `output`; returns the finished process and the report."""
    run = subprocess.run(
        [str(tessera_binary()), "bench", "--target", "tcp", "--port", str(server.port), "--records", str(RECORDS),
         "--warmup", "0.2", "--json", str(output), *arguments],
        capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return run, json.loads(output.read_text())


def test_bench_runs_a_smoke_workload_against_the_server_and_writes_json(server, client, tmp_path):
    output = tmp_path / "bench.json"
    client.drop_database("bench")
    try:
        run, report = run_bench(server, output, "--dbpath", str(server.dbpath), "--workload", "ycsb-b",
                                "--duration", "2", "--connections", "2")

        assert int(report["machine"]["cores"]) >= 1
        [result] = report["results"]
        assert result["workload"] == "ycsb-b"
        assert result["target"] == "tcp"
        assert result["connections"] == 2
        assert result["records"] == RECORDS
        assert 1.9 <= result["seconds"] < 10
        assert result["operations"] > 0
        assert abs(result["throughput"] - result["operations"] / result["seconds"]) < 1e-6 * result["throughput"] + 1e-9
        latency = result["latency"]
        assert latency["count"] == result["operations"]
        assert 0 < latency["p50"] <= latency["p95"] <= latency["p99"] <= latency["max"]
        # YCSB-B is 95 % reads and 5 % updates: both kinds ran, reads the most.
        kinds = result["operationKinds"]
        assert set(kinds) == {"read", "update"}
        assert kinds["read"]["count"] > kinds["update"]["count"]
        assert kinds["read"]["count"] + kinds["update"]["count"] == result["operations"]
        # The server's own process was measured (its pid came from serverStatus).
        assert result["server"]["peakMemoryBytes"] > 0
        assert result["server"]["cpuSeconds"] > 0
        per_op = result["server"]["cpuMicrosecondsPerOperation"]
        assert abs(per_op - result["server"]["cpuSeconds"] * 1e6 / result["operations"]) < 1e-6 * per_op
        assert result["diskBytes"] > 0

        # The data set is on the server: 1,000 YCSB records of ten 100-byte fields.
        usertable = client["bench"]["usertable"]
        assert usertable.count_documents({}) == RECORDS
        record = usertable.find_one()
        fields = [key for key in record if key != "_id"]
        assert fields == [f"field{i}" for i in range(10)]
        assert all(len(record[key]) == 100 for key in fields)
        assert record["_id"].startswith("user")
        assert "ycsb-b [tcp, 2 conn]" in run.stdout
    finally:
        client.drop_database("bench")


def test_bench_floor_group_runs_ping_and_a_point_read_on_one_connection(server, client, tmp_path):
    output = tmp_path / "floor.json"
    client.drop_database("bench")
    try:
        run, report = run_bench(server, output, "--workload", "floor", "--duration", "1", "--connections", "3")
        ping, read = report["results"]

        # Both pinned to one connection although the run says three.
        assert (ping["workload"], ping["connections"]) == ("ping@1", 1)
        assert (read["workload"], read["connections"]) == ("ycsb-c@1", 1)
        assert set(ping["operationKinds"]) == {"ping"}
        assert set(read["operationKinds"]) == {"read"}
        assert read["records"] == RECORDS
        for result in (ping, read):
            assert result["operations"] > 0
            usage = result["server"]
            expected = usage["cpuSeconds"] * 1e6 / result["operations"]
            assert abs(usage["cpuMicrosecondsPerOperation"] - expected) <= 1e-9 * expected
        share = 100 * read["throughput"] / ping["throughput"]
        assert f"ycsb-c@1: {share:.1f}% of ping@1's rate on tcp" in run.stdout
        assert "ping@1 [tcp, 1 conn]" in run.stdout
        # The point reads found their records: the data set was loaded for them.
        assert client["bench"]["usertable"].count_documents({}) == RECORDS
    finally:
        client.drop_database("bench")
