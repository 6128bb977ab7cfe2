#!/usr/bin/env python3
"""Prints criterion results as ratios within each group.

Usage: scripts/bench-ratios.py [GROUP_PREFIX ...]   (after `cargo bench`)

For every group under target/criterion, prints each function's median time
and its speed relative to the first contender named `wscore*` (higher is
faster: 2.0x means twice as fast as that contender).
"""
import json
import pathlib
import sys

root = pathlib.Path(__file__).resolve().parent.parent / "target" / "criterion"
prefixes = sys.argv[1:]


def median_ns(path):
    with open(path) as f:
        return json.load(f)["median"]["point_estimate"]


groups = {}
for estimates in sorted(root.glob("**/new/estimates.json")):
    with open(estimates.parent / "benchmark.json") as f:
        meta = json.load(f)
    group, function = meta["group_id"], meta["function_id"] or meta["value_str"]
    if prefixes and not any(group.startswith(p) for p in prefixes):
        continue
    groups.setdefault(group, []).append((function, median_ns(estimates)))

for group, rows in groups.items():
    rows.sort(key=lambda row: (not row[0].startswith("wscore"), row[0]))
    base = rows[0][1]
    print(group)
    for function, ns in rows:
        print(f"  {function:<24} {ns:>14.1f} ns   wscore is {ns / base:5.2f}x this")
