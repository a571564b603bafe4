#!/usr/bin/env python3
"""Fits the identification engine's decision model (DecisionModel.fitted) by
logistic regression on simulated populations from ../shared/eval.

    python3 tools/fit.py [--seeds 21 22 23] [--rounds 3] [--model '[...]']

Each round replays the populations through `argus replay` with the current
coefficients, labels every visit without token that had a candidate (1: the
best candidate is this very browser, 0: it is another browser or the browser
is new) and refits. The seeds used here are kept apart from the seeds quoted
in BENCHMARKS.md (1, 2, 3), so that the quoted figures are out-of-sample.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

sys.path.insert(0, str(Path(__file__).resolve().parent))
from replay import EVAL, ROOT, run_replay  # noqa: E402
from population import Scenario, generate  # noqa: E402
from metrics import score  # noqa: E402

NAMES = ["bias", "top", "gap", "rivals", "lastAddress", "recentAddress", "network", "drift", "twins", "exact",
         "uniqueExact", "model", "crowd", "webkit", "private", "cookiesDisabled", "homecoming", "cameFromLastPage", "cameFromOtherPage",
         "cameFromSite", "webkitExpiry", "maturity", "silence", "webkitSilence", "claimed"]
# Features after the logistic terms: read by the decision trees only (tools/fit_trees.py).
TREE_NAMES = NAMES + ["quietShare", "silenceUsual", "visits", "addresses", "instances", "secondAddress",
                      "secondExact", "roams"]


JOIN_NAMES = ["bias", "closeCall", "lastAddress", "recentAddress", "network", "drift", "visits", "sharedAddress",
              "exact", "twins", "crowd", "webkit", "others", "silence", "contenders", "silenceOnce"]


def replay(binary: str, population, model: list[float] | None, join_model: list[float] | None = None,
           real_time: bool = False) -> list[dict]:
    return run_replay(binary, population, (["--model", json.dumps(model)] if model else []) + (
        ["--join-model", json.dumps(join_model)] if join_model else []), real_time)


def samples(population, decisions, width: int = len(NAMES)):
    owner: dict[str, int] = {}
    xs, ys = [], []
    for visit, d in zip(population.visits, decisions):
        if d.get("features") is not None and d["basis"] != "token":
            xs.append(d["features"][:width])
            ys.append(1.0 if owner.get(d["top"]) == visit.device else 0.0)
        owner.setdefault(d["visitorId"], visit.device)
    return xs, ys


def join_samples(population, decisions):
    """Every provisional visitor weighed against its silent rival: 1 when the rival is this browser."""
    owner: dict[str, int] = {}
    xs, ys = [], []
    for visit, d in zip(population.visits, decisions):
        if d.get("join") is not None:
            xs.append(d["join"]["features"])
            ys.append(1.0 if owner.get(d["join"]["rival"]) == visit.device else 0.0)
        owner.setdefault(d["visitorId"], visit.device)
    return xs, ys


def outcome(population, decisions) -> tuple[float, float, float]:
    """Strict accuracy, false merges and continuity of one replay."""
    s = score(population, [d["visitorId"] for d in decisions])
    return s.overall.accuracy, s.overall.false_merge_rate, s.continuity.accuracy


def report_round(round_: int, results: list[tuple[float, float, float]], ys: list[float]) -> None:
    """One fitting round's replays (their mean outcome) and the samples they gave."""
    acc, fm, cont = (float(np.mean([r[i] for r in results])) for i in range(3))
    print(f"round {round_}: strict {acc:.4f} false-merge {fm:.4f} continuity {cont:.4f} "
          f"({len(ys)} samples, {int(sum(ys))} positive)", flush=True)


def fit(x: np.ndarray, y: np.ndarray, l2: float = 1.0, offset: np.ndarray | None = None) -> np.ndarray:
    """L2-regularised logistic regression (the first column, the bias, unpenalised unless `offset` is
    given: then the columns are extra terms on top of a fixed model's `offset`, all penalised)."""
    first = 0 if offset is not None else 1
    offset = offset if offset is not None else np.zeros(x.shape[0])

    def loss(w):
        z = x @ w + offset
        p = 1 / (1 + np.exp(-z))
        eps = 1e-9
        nll = -np.sum(y * np.log(p + eps) + (1 - y) * np.log(1 - p + eps))
        return nll + l2 * np.sum(w[first:] ** 2)

    def grad(w):
        z = x @ w + offset
        p = 1 / (1 + np.exp(-z))
        g = x.T @ (p - y)
        g[first:] += 2 * l2 * w[first:]
        return g

    return minimize(loss, np.zeros(x.shape[1]), jac=grad, method="L-BFGS-B").x


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, nargs="+", default=[21, 22, 23])
    parser.add_argument("--scenarios", nargs="+", default=["default", "small"])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--model", help="starting coefficients (JSON array)")
    parser.add_argument("--exclude", nargs="*", default=["top"], help="features held at 0")
    parser.add_argument("--target", choices=["decision", "join"], default="decision",
                        help="which model to fit (the other stays as given)")
    parser.add_argument("--join-model", help="join-model coefficients (JSON array)")
    parser.add_argument("--only", nargs="+", help="fit only these terms; the others stay as --model gives them")
    parser.add_argument("--real-time", action="store_true", help="replay with the visits' simulated times")
    parser.add_argument("--binary", default=str(ROOT / ".build-release/release/argus"))
    args = parser.parse_args()
    if args.only and not (args.model if args.target == "decision" else args.join_model):
        parser.error("--only needs the model it adds to (--model, or --join-model with --target join)")
    populations = [generate(Scenario.load(EVAL / "scenarios" / f"{s}.json"), seed)
                   for s in args.scenarios for seed in args.seeds]
    model = json.loads(args.model) if args.model else None
    join_model = json.loads(args.join_model) if args.join_model else None
    names = NAMES if args.target == "decision" else JOIN_NAMES
    for round_ in range(args.rounds):
        xs, ys, results = [], [], []
        for population in populations:
            decisions = replay(args.binary, population, model, join_model, args.real_time)
            x, y = (samples if args.target == "decision" else join_samples)(population, decisions)
            xs += x
            ys += y
            results.append(outcome(population, decisions))
        report_round(round_, results, ys)
        x = np.array(xs)
        if args.only:
            current = model if args.target == "decision" else join_model
            free = [i for i, n in enumerate(names) if n in args.only]
            fixed = [i for i in range(len(names)) if i not in free]
            w = fit(x[:, free], np.array(ys), offset=x[:, fixed] @ np.array([current[i] for i in fixed]))
            fitted = list(current)
            for i, v in zip(free, w):
                fitted[i] = round(float(v), 3)
        else:
            keep = [i for i, n in enumerate(names) if n not in args.exclude]
            w = fit(x[:, keep], np.array(ys))
            fitted = [0.0] * len(names)
            for i, v in zip(keep, w):
                fitted[i] = round(float(v), 3)
        if args.target == "decision":
            model = fitted
        else:
            join_model = fitted
        print("  " + json.dumps(dict(zip(names, fitted))), flush=True)
        print("  " + json.dumps(fitted), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
