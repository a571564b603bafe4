#!/usr/bin/env python3
"""Fits the confidence map (DecisionModel.calibration): raw model output →
observed share of right answers, on simulated populations from ../shared/eval;
and the two answers that no model prices (DecisionModel.tokenConfidence,
unmatchedConfidence).

    python3 tools/calibrate.py [--seeds 21 22 23] [--policy auto] [--bins 12]

Every visit is replayed through `argus replay`. Three kinds of answer:
- a token answer (the browser's own token, its device fitting): its
  confidence is the observed share of right token answers;
- a new visitor without any candidate: likewise, the observed share;
- every other answer is priced by a model, and that price is the raw value
  the map calibrates: the decision model's probability for a fingerprint
  match (as the binary reports it for the candidate it weighed likeliest,
  trees included; or priced from the features with `--model`), the join
  model's for a join, one minus the best candidate's for a new visitor.
"Right": the id belongs to the browser (first given to it) and, for a new id,
the visit is the browser's first. Raw values are binned by quantile; adjacent
bins whose observed shares decrease are pooled, so the map is monotone. A
token answer flagged as a possibly copied token (`tokenMismatch`, reported
with the map's value at 0.7) is left out of the token share. Prints the Swift table.
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


def points(binary: str, scenarios: list[str], seeds: list[int], model: list[float] | None,
           policy: str) -> tuple[list[tuple[float, bool]], list[bool], list[bool]]:
    """(raw, right) of every model-priced answer; right or not of every token answer and of
    every new visitor without a candidate."""
    priced, tokens, unmatched = [], [], []
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
                    priced.append((d["join"]["p"], right))  # the join model's probability
                elif d["basis"] == "token":
                    if not d["tokenMismatch"]:  # not flagged as a possibly copied token
                        tokens.append(right)
                elif f is None:
                    # A new visitor without a candidate; or a private-only visitor adopted
                    # (IdentificationEngine.adoptionConfidence, measured apart: not counted here).
                    if d["basis"] == "new":
                        unmatched.append(right)
                else:
                    if model:
                        p = 1 / (1 + math.exp(-sum(a * b for a, b in zip(model, f))))
                    else:  # the binary's own: the likeliest close candidate's (trees included)
                        p = max(t["p"] for t in d["weighed"])
                    priced.append((p if d["basis"] == "fingerprint" else 1 - p, right))
    return priced, tokens, unmatched


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, nargs="+", default=[21, 22, 23])
    parser.add_argument("--scenarios", nargs="+", default=["default", "small"])
    parser.add_argument("--model", help="logistic coefficients to price the features with (JSON array); "
                        "without, the probability the binary reports for the candidate it weighed likeliest")
    parser.add_argument("--bins", type=int, default=12)
    parser.add_argument("--policy", default="auto", help="match policy the map is for")
    parser.add_argument("--binary", default=str(ROOT / ".build-release/release/argus"))
    args = parser.parse_args()
    priced, tokens, unmatched = points(args.binary, args.scenarios, args.seeds,
                                       json.loads(args.model) if args.model else None, args.policy)
    pts = sorted(priced)
    n = args.bins
    bins = [pts[i * len(pts) // n:(i + 1) * len(pts) // n] for i in range(n)]
    rows = [[sum(r for r, _ in b) / len(b), sum(y for _, y in b) / len(b), len(b)] for b in bins if b]
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
    print("[" + ", ".join(f"({r:.4f}, {o:.3f})" for r, o, _ in rows) + "]")
    print(f"token answers: {sum(tokens) / len(tokens):.4f} right ({len(tokens)} visits)")
    print(f"new visitors without a candidate: {sum(unmatched) / len(unmatched):.4f} right ({len(unmatched)} visits)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
