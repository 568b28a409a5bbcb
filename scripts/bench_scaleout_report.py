"""The tessera-pg part of a scripts/bench-compare run (issue 21): for each workload, the
throughput of PostgreSQL used directly through jsonb and of 1, 2, 3... Tessera servers on
that one PostgreSQL, the per-operation overhead against direct jsonb (mean latency through
Tessera / direct; with the same closed-loop connections this is also direct throughput /
Tessera's), and PostgreSQL's CPU (postmaster and all its children, /proc/PID/stat, over the
measured run) to show when the shared database saturates. Writes scale-out.md and
scale-out.json next to table.md."""

import argparse
import glob
import json
import os
import re

SERVERS = re.compile(r"^tessera-pg-(\d+)$")


def load(raw):
    """{workload: {target: result}} in run order, each tessera-pg result with the servers'
    own CPU seconds (whole invocation) from its .servers file."""
    results, order = {}, []
    for path in sorted(glob.glob(os.path.join(raw, "*.json"))):
        with open(path, encoding="utf-8") as f:
            report = json.load(f)
        extra = {}
        sidecar = path[: -len(".json")] + ".servers"
        if os.path.exists(sidecar):
            with open(sidecar, encoding="utf-8") as f:
                extra = json.load(f)
        for result in report["results"]:
            name = result["workload"]
            if name not in results:
                order.append(name)
            results.setdefault(name, {})[result["target"]] = dict(result, **extra)
    return results, order


def cpu(result):
    server = (result or {}).get("server") or {}
    if "cpuCores" not in server:
        return "–"
    per_op = server.get("cpuMicrosecondsPerOperation")
    return f"{server['cpuCores']:.2f} ({per_op:,.0f} µs/op)" if per_op else f"{server['cpuCores']:.2f}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--raw", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--command", default="scripts/bench-compare --targets postgres,tessera-pg")
    parser.add_argument("--header", default="")
    args = parser.parse_args()

    results, order = load(args.raw)
    counts = sorted({int(m.group(1)) for row in results.values() for t in row if (m := SERVERS.match(t))})
    rows, summary = [], []
    for name in order:
        row = results[name]
        direct = row.get("postgres")
        base = direct["throughput"] if direct and direct["throughput"] > 0 else None
        cells = [name, str((direct or next(iter(row.values())))["connections"]),
                 f"{base:,.0f}" if base else "–"]
        entry = {"workload": name, "postgres": base, "servers": {}}
        for count in counts:
            run = row.get(f"tessera-pg-{count}")
            if not run:
                cells.append("–")
                continue
            overhead = (run["latency"]["mean"] / direct["latency"]["mean"]) if direct and direct["latency"]["mean"] > 0 else None
            cells.append(f"{run['throughput']:,.0f}" + (f" ({overhead:.2f}×)" if overhead else ""))
            entry["servers"][count] = {
                "throughput": run["throughput"], "overheadPerOperation": overhead,
                "postgresCPUCores": (run.get("server") or {}).get("cpuCores"),
                "postgresCPUMicrosecondsPerOperation": (run.get("server") or {}).get("cpuMicrosecondsPerOperation"),
                "tesseraServersCPUSeconds": run.get("serversCPUSeconds"),
                "latencyMeanMicroseconds": run["latency"]["mean"], "latencyP99Microseconds": run["latency"]["p99"],
            }
        cells.append(cpu(direct))
        cells += [cpu(row.get(f"tessera-pg-{count}")) for count in counts]
        cells.append(" / ".join(f"{row[f'tessera-pg-{c}'].get('serversCPUSeconds', '–')}" if f"tessera-pg-{c}" in row else "–"
                                for c in counts))
        rows.append("| " + " | ".join(cells) + " |")
        summary.append(entry)

    server_heads = [f"{c} server{'s' if c > 1 else ''} ops/s (overhead)" for c in counts]
    cpu_heads = ["PG CPU, direct"] + [f"PG CPU, {c} server{'s' if c > 1 else ''}" for c in counts]
    head = ["workload", "conns", "PostgreSQL jsonb ops/s"] + server_heads + cpu_heads + ["Tessera servers' CPU s"]
    text = "\n".join([
        f"# tessera-pg: Tessera servers on one PostgreSQL against PostgreSQL through jsonb",
        "",
        args.header,
        "",
        f"Command: `{args.command}`.",
        "",
        "Overhead: mean latency through Tessera / through jsonb directly (same connections, closed loop; the",
        "goal is ≤ 1.5×). PG CPU: cores PostgreSQL kept busy over the measured run (postmaster and all its",
        "children) and its CPU µs per operation. Tessera servers' CPU: user + system seconds of all the run's",
        "servers over the whole invocation (data load, warm-up and measured run), for 1 / 2 / 3 servers.",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "|".join(" --- " for _ in head) + "|",
        *rows,
        "",
    ])
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "scale-out.md"), "w", encoding="utf-8") as f:
        f.write(text)
    with open(os.path.join(args.out, "scale-out.json"), "w", encoding="utf-8") as f:
        json.dump({"command": args.command, "header": args.header, "workloads": summary}, f, indent=2, sort_keys=True)


if __name__ == "__main__":
    main()
