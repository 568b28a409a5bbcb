# Issue 15's index-build measure: writes to another collection while createIndexes builds
# over a big one. Starts a `tessera serve` ($TESSERA_BIN or this checkout's debug build) on a
# scratch directory, seeds `bench.docs`, then runs `--writers` connections inserting into
# `bench.other` — first for `--baseline` seconds alone, then while `{a: 1}` is built over
# `bench.docs` — and prints, for both windows, inserts completed, inserts/s and per-insert
# latency (p50, p99, max; an insert counts for the build window when it overlapped it).
# Run by hand to compare two binaries; not part of `make test`.

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tessera_server import TesseraServer, tessera_binary  # noqa: E402
from test_index_build import seed  # noqa: E402


def quantile(values: list[float], fraction: float) -> float:
    """Nearest-rank quantile of `values` (nan for none)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def summary(label: str, spans: list[tuple[float, float]], window: tuple[float, float]) -> str:
    """Inserts that overlapped `window`: how many, how many completed inside it per second,
    and their latencies."""
    begin, end = window
    overlapping = [(s, e) for s, e in spans if s < end and e > begin]
    completed = sum(1 for _, e in overlapping if e <= end)
    latencies = [e - s for s, e in overlapping]
    return (f"{label}: {end - begin:.1f} s, {completed} inserts completed ({completed / (end - begin):.0f}/s), "
            f"latency p50 {quantile(latencies, 0.5) * 1000:.1f} ms p99 {quantile(latencies, 0.99) * 1000:.1f} ms "
            f"max {max(latencies, default=float('nan')) * 1000:.1f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--documents", type=int, default=200_000)
    parser.add_argument("--writers", type=int, default=2)
    parser.add_argument("--baseline", type=float, default=5.0, help="seconds of inserts before the build")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-index-build-") as scratch:
        server = TesseraServer(Path(scratch) / "db", Path(scratch) / "server.log")
        server.start()
        try:
            with server.client() as mongo:
                seed(mongo["bench"]["docs"], args.documents)
                mongo["bench"]["other"].insert_one({"_id": "warm"})
            stop = threading.Event()
            spans: list[list[tuple[float, float]]] = [[] for _ in range(args.writers)]

            def write(k: int) -> None:
                with server.client() as mongo:
                    target, n = mongo["bench"]["other"], 0
                    while not stop.is_set():
                        n += 1
                        started = time.monotonic()
                        target.insert_one({"_id": f"{k}.{n}", "k": k})
                        spans[k].append((started, time.monotonic()))

            writers = [threading.Thread(target=write, args=(k,), daemon=True) for k in range(args.writers)]
            for writer in writers:
                writer.start()
            baseline_start = time.monotonic()
            time.sleep(args.baseline)
            with server.client() as mongo:
                build_start = time.monotonic()
                mongo["bench"]["docs"].create_index([("a", 1)])
                build_end = time.monotonic()
            time.sleep(0.5)
            stop.set()
            for writer in writers:
                writer.join(60)
            every = [span for spans_k in spans for span in spans_k]
            print(f"binary {tessera_binary()}; {args.documents} documents; {args.writers} writer connections")
            print(summary("no build  ", every, (baseline_start, build_start)))
            print(summary("during build", every, (build_start, build_end)))
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
