#!/usr/bin/env python3
"""Coordinate search of the decision model's coefficients that maximises the
mean strict accuracy on simulated populations while keeping the mean
false-merge rate under a ceiling. Training seeds only (default 21-23);
BENCHMARKS.md quotes seeds 1-3, which this never sees.

    python3 tools/search.py --start '[...]' [--passes 2] [--ceiling 0.008]
"""
from __future__ import annotations

import argparse
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fit import NAMES, replay  # noqa: E402
from replay import EVAL, ROOT  # noqa: E402
from population import Scenario, generate  # noqa: E402
from metrics import score  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--start", required=True)
    parser.add_argument("--seeds", type=int, nargs="+", default=[21, 22, 23])
    parser.add_argument("--scenarios", nargs="+", default=["default", "small"])
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument("--step", type=float, default=0.5)
    parser.add_argument("--ceiling", type=float, default=0.008)
    parser.add_argument("--skip", nargs="*", default=["top"])
    parser.add_argument("--binary", default=str(ROOT / ".build-release/release/argus"))
    args = parser.parse_args()
    populations = [generate(Scenario.load(EVAL / "scenarios" / f"{s}.json"), seed)
                   for s in args.scenarios for seed in args.seeds]

    def evaluate(model):
        def one(population):
            decisions = replay(args.binary, population, model)
            s = score(population, [d["visitorId"] for d in decisions])
            return s.overall.accuracy, s.overall.false_merge_rate
        with ThreadPoolExecutor(2) as pool:
            results = list(pool.map(one, populations))
        acc = sum(r[0] for r in results) / len(results)
        fm = sum(r[1] for r in results) / len(results)
        return acc - 10 * max(0.0, fm - args.ceiling), acc, fm

    model = json.loads(args.start)
    best = evaluate(model)
    print(f"start: objective {best[0]:.4f} strict {best[1]:.4f} fm {best[2]:.4f}", flush=True)
    step = args.step
    for p in range(args.passes):
        for i, name in enumerate(NAMES):
            if name in args.skip:
                continue
            for delta in (step, -step):
                trial = list(model)
                trial[i] = round(trial[i] + delta, 3)
                result = evaluate(trial)
                if result[0] > best[0] + 1e-4:
                    model, best = trial, result
                    print(f"pass {p} {name} {delta:+}: objective {best[0]:.4f} strict {best[1]:.4f} "
                          f"fm {best[2]:.4f} {json.dumps(model)}", flush=True)
                    break
        step /= 2
    print(json.dumps(model))
    return 0


if __name__ == "__main__":
    sys.exit(main())
