"""How long writers wait for the store's commit section: one collection against two.

Builds load.c (libmongoc, gcc), starts a `tessera serve` ($TESSERA_BIN, a release build for
figures worth keeping), and runs the C load with THREADS connections writing to one
collection, then to two (half each), for each write concern and batch size, alternating the
two for ROUNDS rounds. Around each run it reads serverStatus's `tessera.commitSection`
(entries, summed wait and hold, wait-time buckets) and the server's CPU time, and prints the
per-write figures.

usage: TESSERA_BIN=.build/release/tessera .venv/bin/python Benchmarks/commit-section/run.py
       [--threads 8] [--seconds 15] [--rounds 2] [--batches 1,100] [--concerns j,w1]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent / "Tests" / "integration"))
from tessera_server import TesseraServer  # noqa: E402


def build_load(directory: Path) -> Path:
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "libmongoc-1.0"],
                           capture_output=True, text=True, check=True).stdout.split()
    binary = directory / "load"
    subprocess.run(["gcc", "-O2", "-Wall", "-Wextra", "-Werror", "-o", str(binary), str(HERE / "load.c"),
                    *flags, "-lpthread"], check=True)
    return binary


def server_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def section(client) -> dict:
    return client.admin.command("serverStatus")["tessera"]["commitSection"]


def run_once(server, load: Path, threads: int, collections: int, seconds: float, batch: int, concern: str) -> dict:
    with server.client() as client:
        client.drop_database("cs")
        before, cpu_before = section(client), server_cpu_seconds(server.pid)
        out = subprocess.run([str(load), server.uri, str(threads), str(collections), str(seconds), str(batch), concern],
                             capture_output=True, text=True, check=True).stdout.split()
        after, cpu_after = section(client), server_cpu_seconds(server.pid)
    figures = dict(zip(out[0::2], out[1::2]))
    entries = after["acquisitions"] - before["acquisitions"]
    waits = {key: after["waitTimes"][key] - before["waitTimes"][key] for key in after["waitTimes"]}
    inserts = int(figures["inserts"])
    return {
        "inserts_per_s": float(figures["inserts_per_s"]), "client_mean_us": float(figures["mean_us"]),
        "client_p99_us": float(figures["p99_us"]), "entries": entries, "inserts": inserts,
        "wait_us_per_entry": (after["waitMicros"] - before["waitMicros"]) / max(entries, 1),
        "hold_us_per_entry": (after["holdMicros"] - before["holdMicros"]) / max(entries, 1),
        "wait_share_of_latency": (after["waitMicros"] - before["waitMicros"]) / max(entries, 1)
        / max(float(figures["mean_us"]), 1e-9),
        "section_busy": (after["holdMicros"] - before["holdMicros"]) / (seconds * 1e6),
        "server_cpu_us_per_insert": (cpu_after - cpu_before) * 1e6 / max(inserts, 1),
        "server_cores": (cpu_after - cpu_before) / seconds,
        "waits": waits,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--batches", default="1,100")
    parser.add_argument("--concerns", default="j,w1")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="commit-section-") as scratch:
        load = build_load(Path(scratch))
        server = TesseraServer(Path(scratch) / "db", Path(scratch) / "server.log")
        server.start()
        try:
            print(f"server {os.environ.get('TESSERA_BIN', '(debug build)')}, {options.threads} connections, "
                  f"{options.seconds:g} s per run, {os.cpu_count()} cores")
            for concern in options.concerns.split(","):
                for batch in (int(value) for value in options.batches.split(",")):
                    for round_number in range(1, options.rounds + 1):
                        for collections in (1, 2):
                            result = run_once(server, load, options.threads, collections, options.seconds, batch, concern)
                            waits = " ".join(f"{key}={value}" for key, value in result["waits"].items())
                            print(f"{concern:>2} batch {batch:>3} round {round_number} collections {collections}: "
                                  f"{result['inserts_per_s']:>7.0f} inserts/s, client mean {result['client_mean_us']:.0f} us "
                                  f"p99 {result['client_p99_us']:.0f} us; section wait {result['wait_us_per_entry']:.1f} us "
                                  f"({100 * result['wait_share_of_latency']:.1f}% of mean latency), hold "
                                  f"{result['hold_us_per_entry']:.1f} us per commit, busy {100 * result['section_busy']:.0f}%; "
                                  f"server {result['server_cores']:.2f} cores, {result['server_cpu_us_per_insert']:.0f} us CPU/insert; "
                                  f"commits {result['entries']}; waits {waits}", flush=True)
        finally:
            server.stop(timeout=60)


if __name__ == "__main__":
    main()
