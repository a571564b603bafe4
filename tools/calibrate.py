#!/usr/bin/env python3
"""Fits the confidence map (DecisionModel.calibration): raw model output →
observed share of right answers, on simulated populations from ../shared/eval.

    python3 tools/calibrate.py [--seeds 21 22 23] [--policy household] [--bins 12]

Every visit is replayed through `argus replay`. Its raw confidence is what
the engine calibrates: the decision model's probability for a fingerprint
match (as the binary reports it for the candidate it weighed likeliest,
trees included; or priced from the features with `--model`), the join model's
for a join, one minus it for a new visitor
that had a candidate, and 0.99 for token answers and new visitors without
any candidate. "Right": the id belongs to the browser (first given to it)
and, for a new id, the visit is the browser's first. Raw values are binned
by quantile, the 0.99 mass on its own; adjacent bins whose observed shares
decrease are pooled, so the map is monotone. Prints the Swift table.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from replay import EVAL, ROOT, run_replay  # noqa: E402
from population import Scenario, generate  # noqa: E402


def points(binary: str, scenarios: list[str], seeds: list[int], model: list[float] | None, policy: str) -> list[tuple[float, bool]]:
    out = []
    for scenario in scenarios:
        for seed in seeds:
            population = generate(Scenario.load(EVAL / "scenarios" / f"{scenario}.json"), seed)
            owner: dict[str, int] = {}
            seen: set[int] = set()
            for visit, d in zip(population.visits, run_replay(binary, population, ["--policy", policy])):
                owner.setdefault(d["visitorId"], visit.device)
                right = owner[d["visitorId"]] == visit.device and (d["basis"] != "new" or visit.device not in seen)
                seen.add(visit.device)
                f = d.get("features")
                if d["basis"] == "joined":
                    raw = d["join"]["p"]  # the join model's probability
                elif d["basis"] == "token" or f is None:
                    raw = 0.99
                else:
                    if model:
                        p = 1 / (1 + math.exp(-sum(a * b for a, b in zip(model, f))))
                    else:  # the binary's own: the likeliest close candidate's (trees included)
                        p = max(t["p"] for t in d["weighed"])
                    raw = p if d["basis"] == "fingerprint" else 1 - p
                out.append((raw, right))
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, nargs="+", default=[21, 22, 23])
    parser.add_argument("--scenarios", nargs="+", default=["default", "small"])
    parser.add_argument("--model", help="logistic coefficients to price the features with (JSON array); "
                        "without, the probability the binary reports for the candidate it weighed likeliest")
    parser.add_argument("--bins", type=int, default=12)
    parser.add_argument("--policy", default="household", help="match policy the map is for")
    parser.add_argument("--binary", default=str(ROOT / ".build-release/release/argus"))
    args = parser.parse_args()
    pts = sorted(points(args.binary, args.scenarios, args.seeds, json.loads(args.model) if args.model else None,
                        args.policy))
    other = [p for p in pts if p[0] != 0.99]
    n = args.bins
    bins = [other[i * len(other) // n:(i + 1) * len(other) // n] for i in range(n)]
    rows = [[sum(r for r, _ in b) / len(b), sum(y for _, y in b) / len(b), len(b)] for b in bins if b]
    fixed = [y for r, y in pts if r == 0.99]
    rows.append([0.99, sum(fixed) / len(fixed), len(fixed)])
    rows.sort()
    i = 0
    while i < len(rows) - 1:  # pool adjacent violators
        a, b = rows[i], rows[i + 1]
        if a[1] > b[1]:
            total = a[2] + b[2]
            rows[i] = [(a[0] * a[2] + b[0] * b[2]) / total, (a[1] * a[2] + b[1] * b[2]) / total, total]
            del rows[i + 1]
            i = max(0, i - 1)
        else:
            i += 1
    for raw, observed, count in rows:
        print(f"  raw {raw:.3f}  observed {observed:.3f}  ({count} visits)")
    print("[" + ", ".join(f"({r:.3f}, {o:.3f})" for r, o, _ in rows) + "]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
