#!/usr/bin/env python3
"""Draws ARTIFACTS/timeline.png from a keel-chaos run: operations per second, latency, faults and leader
changes on one time axis.

Usage: scripts/chaos-plot.py ARTIFACTS   (the folder holding history.jsonl and summary.json)
"""
import collections
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def load(directory):
    operations, faults = [], []
    with open(os.path.join(directory, "history.jsonl")) as history:
        for line in history:
            line = line.strip()
            if not line:
                continue
            entry = json.loads(line)
            if "operation" in entry:
                operations.append(entry["operation"]["_0"])
            elif "fault" in entry:
                faults.append(entry["fault"]["_0"])
    changes = []
    summary_path = os.path.join(directory, "summary.json")
    if os.path.exists(summary_path):
        with open(summary_path) as summary:
            changes = json.load(summary).get("leaderChangeTimes", [])
    return operations, faults, changes


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    directory = sys.argv[1]
    operations, faults, changes = load(directory)
    per_second = {outcome: collections.Counter() for outcome in ("ok", "failed", "unknown")}
    latency = {"read": ([], []), "write": ([], [])}
    for record in operations:
        outcome = next(iter(record["outcome"]))
        done = record["completeNanos"] / 1e9
        per_second[outcome][int(done)] += 1
        if outcome == "ok":
            kind = next(iter(record["operation"]))
            group = "read" if kind in ("get", "range") else "write"
            latency[group][0].append(done)
            latency[group][1].append((record["completeNanos"] - record["invokeNanos"]) / 1e6)
    end = max([r["completeNanos"] / 1e9 for r in operations] + [1])

    figure, (rate, delay, spans) = plt.subplots(
        3, 1, sharex=True, figsize=(14, 8), gridspec_kw={"height_ratios": [3, 3, 2]})
    seconds = list(range(int(end) + 1))
    colors = {"ok": "tab:green", "failed": "tab:orange", "unknown": "tab:red"}
    for outcome, counts in per_second.items():
        rate.plot(seconds, [counts.get(s, 0) for s in seconds], label=outcome, color=colors[outcome], lw=1)
    rate.set_ylabel("operations/s")
    rate.legend(loc="upper right", fontsize="small")

    for group, color in (("read", "tab:blue"), ("write", "tab:purple")):
        times, values = latency[group]
        delay.scatter(times, values, s=2, color=color, label=f"{group} (ok)", alpha=0.5)
    delay.set_yscale("log")
    delay.set_ylabel("latency (ms)")
    delay.legend(loc="upper right", fontsize="small")

    kinds = sorted({fault["kind"] for fault in faults})
    palette = plt.get_cmap("tab10")
    for row, kind in enumerate(kinds):
        for fault in (f for f in faults if f["kind"] == kind):
            start, stop = fault["startNanos"] / 1e9, fault["endNanos"] / 1e9
            spans.broken_barh([(start, max(stop - start, end / 500))], (row - 0.4, 0.8), color=palette(row % 10))
    spans.set_yticks(range(len(kinds)))
    spans.set_yticklabels(kinds, fontsize="small")
    spans.set_xlabel("seconds since the run started")
    for change in changes:
        for axis in (rate, delay, spans):
            axis.axvline(change["nanos"] / 1e9, color="grey", lw=0.6, ls="--")
    rate.set_title(f"keel-chaos: {len(operations)} operations, {len(faults)} faults, "
                   f"{len(changes)} leader changes (dashed)")
    figure.tight_layout()
    output = os.path.join(directory, "timeline.png")
    figure.savefig(output, dpi=110)
    print(f"wrote {output}")


if __name__ == "__main__":
    main()
