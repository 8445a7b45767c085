#!/usr/bin/env python3
"""Draws the plots of scripts/bench-vs-etcd from its results file: put throughput against the number of
clients, and the latency percentiles of every load cell, Keel beside etcd.

Usage: bench-vs-etcd-plot.py RESULTS.json DIRECTORY
Prints one line per PNG written: its file name, a tab, its title.
"""

import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)

COLORS = {"keel": "#1f77b4", "etcd": "#d62728"}
LABELS = {"keel": "Keel", "etcd": "etcd 3.4"}


def throughput(results, directory):
    cells = [(c, int(c.split("-")[1])) for c in ("put-1", "put-10", "put-100", "put-1000") if c in results]
    if len(cells) < 2:
        return None
    figure, axes = plt.subplots(figsize=(7, 4.2))
    for system in ("keel", "etcd"):
        axes.plot([n for _, n in cells], [results[c][system]["throughput"] for c, _ in cells], marker="o",
                  color=COLORS[system], label=LABELS[system])
    axes.set_xscale("log")
    axes.set_xticks([n for _, n in cells], [str(n) for _, n in cells])
    axes.set_xlabel("clients")
    axes.set_ylabel("puts per second")
    axes.set_title("Put throughput against clients (3 members, fsync on)")
    axes.grid(True, alpha=0.3)
    axes.legend()
    figure.tight_layout()
    name = "put-throughput.png"
    figure.savefig(os.path.join(directory, name), dpi=110)
    plt.close(figure)
    return name, "Put throughput against clients"


def latency(results, titles, directory):
    cells = [c for c in titles if c in results]
    if not cells:
        return None
    percentiles = [("p50Ms", "p50"), ("p90Ms", "p90"), ("p99Ms", "p99"), ("p999Ms", "p99.9")]
    figure, panels = plt.subplots(1, len(percentiles), figsize=(3.2 * len(percentiles), 0.45 * len(cells) + 1.8),
                                  sharey=True)
    positions = range(len(cells))
    for panel, (key, label) in zip(panels, percentiles):
        for offset, system in ((-0.2, "keel"), (0.2, "etcd")):
            panel.barh([p + offset for p in positions], [results[c][system]["latency"][key] for c in cells],
                       height=0.4, color=COLORS[system], label=LABELS[system])
        panel.set_xscale("log")
        panel.set_title(label)
        panel.set_xlabel("ms")
        panel.grid(True, axis="x", alpha=0.3)
    panels[0].set_yticks(list(positions), cells)
    panels[0].invert_yaxis()
    panels[-1].legend(loc="lower right")
    figure.suptitle("Latency percentiles per cell (log scale)")
    figure.tight_layout()
    name = "latency-percentiles.png"
    figure.savefig(os.path.join(directory, name), dpi=110)
    plt.close(figure)
    return name, "Latency percentiles per cell"


def main():
    with open(sys.argv[1]) as source:
        data = json.load(source)
    directory = sys.argv[2]
    os.makedirs(directory, exist_ok=True)
    for written in (throughput(data["results"], directory), latency(data["results"], data["cells"], directory)):
        if written:
            print(f"{written[0]}\t{written[1]}")


if __name__ == "__main__":
    main()
