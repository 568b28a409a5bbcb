"""Combines the JSON files of one scripts/bench-compare run into results.json, table.md
and PNG charts (throughput per target, latency percentiles, W1 throughput per simulated
hour). Ratios: Tessera over TCP / PostgreSQL (> 1: Tessera faster) and embedded / TCP.
Server CPU per operation: the server processes' user + system time over the measured run
(/proc/PID/stat; PostgreSQL's postmaster with all its children: backends, WAL writer,
checkpointer, autovacuum, and reaped parallel workers) divided by the operations."""

import argparse
import datetime
import glob
import json
import os
import platform

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

TARGETS = ["tcp", "embedded", "postgres"]
COLORS = {"tcp": "#1f77b4", "embedded": "#2ca02c", "postgres": "#9467bd"}


def load(raw):
    results, machine, order = {}, {}, []
    for path in sorted(glob.glob(os.path.join(raw, "*.json"))):
        with open(path, encoding="utf-8") as f:
            report = json.load(f)
        machine = report.get("machine", machine)
        for result in report["results"]:
            name = result["workload"]
            if name not in order:
                order.append(name)
            results.setdefault(name, {})[result["target"]] = result
    return results, machine, order


def ratio(a, b):
    return round(a / b, 2) if a and b else None


def fmt(value, digits=0):
    if value is None:
        return "–"
    return f"{value:,.{digits}f}"


def cpu_per_op(result):
    """Server CPU microseconds per operation (computed for reports that predate the field)."""
    if not result or not result.get("server") or not result.get("operations"):
        return None
    server = result["server"]
    if server.get("cpuMicrosecondsPerOperation") is not None:
        return server["cpuMicrosecondsPerOperation"]
    return server["cpuSeconds"] * 1e6 / result["operations"]


def floor_lines(results):
    """One-connection runs as a share of `ping@1` on the same target (the wire floor)."""
    ping = results.get("ping@1", {})
    lines = []
    for name, row in results.items():
        if not name.endswith("@1") or name == "ping@1":
            continue
        shares = []
        for target in TARGETS:
            base, run = ping.get(target), row.get(target)
            if base and run and base["throughput"]:
                shares.append(f"{target} {100 * run['throughput'] / base['throughput']:.1f} %")
        if shares:
            lines.append(f"- {name} / ping@1: " + ", ".join(shares))
    if lines:
        lines.insert(0, "")
        lines.insert(1, "One connection against the round-trip floor (rate as a share of ping@1's):")
    return lines


def table(results, order):
    lines = [
        "| workload | TCP ops/s | embedded ops/s | PostgreSQL ops/s | **TCP / PG** | embedded / TCP "
        "| p99 µs TCP · emb · PG | server CPU cores TCP · PG | **server CPU µs/op TCP · PG** | disk MiB TCP · PG |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in order:
        row = results[name]
        t, e, p = (row.get(k) for k in TARGETS)
        thr = [r["throughput"] if r else None for r in (t, e, p)]
        p99 = " · ".join(fmt(r["latency"]["p99"]) if r else "–" for r in (t, e, p))
        cpu = " · ".join(fmt(r["server"]["cpuCores"], 2) if r and r.get("server") else "–" for r in (t, p))
        per_op = " · ".join(fmt(cpu_per_op(r), 1) for r in (t, p))
        disk = " · ".join(fmt(r["diskBytes"] / 2**20) if r and r.get("diskBytes") is not None else "–" for r in (t, p))
        lines.append(
            f"| {name} | {fmt(thr[0])} | {fmt(thr[1])} | {fmt(thr[2])} | **{fmt(ratio(thr[0], thr[2]), 2)}** "
            f"| {fmt(ratio(thr[1], thr[0]), 2)} | {p99} | {cpu} | **{per_op}** | {disk} |"
        )
    return "\n".join(lines)


def throughput_chart(results, order, path):
    fig, ax = plt.subplots(figsize=(max(8, len(order) * 0.8), 5))
    width = 0.27
    for i, target in enumerate(TARGETS):
        values = [results[n].get(target, {}).get("throughput", 0) for n in order]
        ax.bar([x + (i - 1) * width for x in range(len(order))], values, width, label=target, color=COLORS[target])
    ax.set_yscale("log")
    ax.set_ylabel("operations per second (log)")
    ax.set_xticks(range(len(order)))
    ax.set_xticklabels(order, rotation=45, ha="right")
    ax.set_title("Throughput per target")
    ax.legend()
    ax.grid(axis="y", which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def latency_chart(results, order, path):
    fig, axes = plt.subplots(1, 3, figsize=(max(12, len(order) * 1.2), 5), sharey=True)
    width = 0.27
    for ax, pct in zip(axes, ["p50", "p95", "p99"]):
        for i, target in enumerate(TARGETS):
            values = [results[n].get(target, {}).get("latency", {}).get(pct, 0) for n in order]
            ax.bar([x + (i - 1) * width for x in range(len(order))], values, width, label=target, color=COLORS[target])
        ax.set_yscale("log")
        ax.set_title(f"{pct} latency")
        ax.set_xticks(range(len(order)))
        ax.set_xticklabels(order, rotation=60, ha="right", fontsize=8)
        ax.grid(axis="y", which="both", alpha=0.3)
    axes[0].set_ylabel("microseconds (log)")
    axes[0].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def w1_chart(results, path):
    row = results.get("w1-counters")
    if not row:
        return False
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for target in TARGETS:
        phases = row.get(target, {}).get("phases", [])
        if phases:
            ax.plot([p["phase"] for p in phases], [p["perSecond"] for p in phases], marker="o", label=target,
                    color=COLORS[target])
    ax.set_xlabel("simulated hour of the day")
    ax.set_ylabel("upserts per second")
    ax.set_ylim(bottom=0)
    ax.set_title("w1-counters: throughput per simulated hour")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--raw", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--elapsed", type=int, default=0)
    parser.add_argument("--command", default="scripts/bench-compare")
    parser.add_argument("--postgres-version", default="")
    parser.add_argument("--tessera-version", default="")
    args = parser.parse_args()

    results, machine, order = load(args.raw)
    os.makedirs(args.out, exist_ok=True)
    ratios = []
    for name in order:
        row = results[name]
        t, e, p = (row.get(k, {}).get("throughput") for k in TARGETS)
        ratios.append({"workload": name, "tcpOverPostgres": ratio(t, p), "embeddedOverTcp": ratio(e, t)})
    machine = dict(machine, hostname=platform.node(), machine=platform.machine())
    combined = {
        "date": datetime.date.today().isoformat(),
        "command": args.command,
        "measuredSeconds": args.elapsed,
        "tessera": args.tessera_version,
        "postgres": args.postgres_version,
        "machine": machine,
        "ratios": ratios,
        "results": [results[n][t] for n in order for t in TARGETS if t in results[n]],
    }
    with open(os.path.join(args.out, "results.json"), "w", encoding="utf-8") as f:
        json.dump(combined, f, indent=2, sort_keys=True)
    throughput_chart(results, order, os.path.join(args.out, "throughput.png"))
    latency_chart(results, order, os.path.join(args.out, "latency.png"))
    has_w1 = w1_chart(results, os.path.join(args.out, "w1-hourly.png"))

    header = [
        f"Command: `{args.command}` ({args.elapsed} s of runs), {combined['date']}.",
        f"Machine: {machine.get('cores', '?')} cores, {int(machine.get('memoryBytes', 0)) / 2**30:.0f} GiB, shared; "
        f"load average before the last run {machine.get('loadAverage', '?')}. {args.tessera_version}; {args.postgres_version}.",
        "Ratios: TCP / PG > 1 means Tessera over TCP is faster than PostgreSQL; embedded / TCP is what the network and",
        "the wire codec cost. Server CPU: cores busy on average and CPU µs per operation (user + system time of the",
        "server's processes over the measured run from /proc; PostgreSQL: the postmaster and all its children).",
        "",
    ]
    text = "\n".join(header) + "\n" + table(results, order) + "\n"
    floor = floor_lines(results)
    if floor:
        text += "\n".join(floor) + "\n"
    if has_w1:
        lines = ["", "w1-counters per simulated hour (upserts/s), first → last hour:"]
        for target in TARGETS:
            phases = results["w1-counters"].get(target, {}).get("phases", [])
            if len(phases) >= 2:
                first, last = phases[0]["perSecond"], phases[-1]["perSecond"]
                lines.append(f"- {target}: {first:,.0f} → {last:,.0f} (last / first {last / first:.2f})")
        text += "\n".join(lines) + "\n"
    with open(os.path.join(args.out, "table.md"), "w", encoding="utf-8") as f:
        f.write(text)


if __name__ == "__main__":
    main()
