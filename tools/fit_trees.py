#!/usr/bin/env python3
"""Fits the identification engine's decision trees (TreeEnsemble.fittedDecision): gradient-boosted
regression trees that correct the logistic decision model's log-odds of P(the best candidate is
this browser), over DecisionFeatures, on simulated populations from ../shared/eval.

    python3 tools/fit_trees.py [--seeds 21 22 23 24 25 26] [--rounds 3] [--write-swift]

Needs LightGBM (a development tool, not a dependency of Argus):
    python3 -m venv --system-site-packages /tmp/fitvenv && /tmp/fitvenv/bin/pip install lightgbm

Each round replays the populations through `argus replay` with the current trees (the first
round with whatever the binary has: the committed trees, or `--start none` for the logistic
model alone), labels every visit without token that had a candidate (1: the best candidate is
this very browser, as tools/fit.py does) and fits a new ensemble on all samples, starting from
the logistic model's log-odds (LightGBM's init_score): the trees learn a correction, so where
the populations say little the logistic model still decides. The engine's answers shape the
next round's samples (who is known, what was joined), hence the rounds. Features that more
evidence can only make likelier (or less likely) are constrained to be monotone. The seeds used
here are kept apart from the seeds quoted in BENCHMARKS.md (1, 2, 3 and 7-12).

The ensemble is written in TreeEnsemble's text form (--out) and, with --write-swift, into
Sources/ArgusIdentification/FittedTrees.swift.
"""
from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path

import numpy as np
import lightgbm as lgb

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fit  # noqa: E402
from fit import JOIN_NAMES, TREE_NAMES, outcome, report_round  # noqa: E402
from replay import EVAL, ROOT, run_replay  # noqa: E402
from population import Scenario, generate  # noqa: E402

SWIFT = ROOT / "Sources/ArgusIdentification"
TESTS = ROOT / "Tests/ArgusIdentificationTests"

# +1: more of it can only make the answer likelier; -1: less likely.
MONOTONE = {
    "decision": {"top": 1, "gap": 1, "rivals": -1, "lastAddress": 1, "recentAddress": 1, "network": 1, "drift": 1,
                 "twins": -1, "exact": 1, "uniqueExact": 1, "homecoming": 1, "cameFromLastPage": 1},
    "join": {"closeCall": 1, "lastAddress": 1, "recentAddress": 1, "network": 1, "drift": 1, "sharedAddress": 1,
             "exact": 1, "twins": -1, "others": -1, "contenders": -1},
}
NAMES = {"decision": TREE_NAMES, "join": JOIN_NAMES}


HOMECOMING = TREE_NAMES.index("homecoming")


def samples(population, decisions):
    """Every close candidate weighed at a visit without token (IdentificationEngine.identify): its
    features, the logistic model's log-odds, and 1 when it is this very browser (the owner of its id so far)."""
    owner: dict[str, int] = {}
    xs, offsets, ys = [], [], []
    for visit, d in zip(population.visits, decisions):
        if d["basis"] != "token":
            # Every close candidate the engine weighed for the best, each labelled on its own.
            for trial in d.get("weighed") or []:
                # The homecoming situation is the match policy's (DecisionModel.probability): no correction there.
                if not trial["features"][HOMECOMING]:
                    xs.append(trial["features"][:len(TREE_NAMES)])
                    offsets.append(trial["logistic"])
                    ys.append(1.0 if owner.get(trial["id"]) == visit.device else 0.0)
        owner.setdefault(d["visitorId"], visit.device)
    return xs, offsets, ys


def join_samples(population, decisions):
    """Every provisional visitor weighed against its silent rival (tools/fit.py's samples), with
    the logistic join model's log-odds."""
    xs, ys = fit.join_samples(population, decisions)
    offsets = [d["join"]["logistic"] for d in decisions if d.get("join") is not None]
    return xs, offsets, ys


def export(booster: lgb.Booster, features: int) -> str:
    """TreeEnsemble's text form. The model was fitted on the vector without its bias column, so
    feature indices move up by one to index DecisionFeatures.vector itself. Nodes are written
    parent first (children after their parent, as TreeEnsemble requires)."""
    trees = booster.dump_model()["tree_info"]
    lines = [f"argus-trees 1 {features} 0.0 {len(trees)}"]
    for tree in trees:
        nodes: list[list] = []

        def walk(node: dict) -> int:
            index = len(nodes)
            if "leaf_value" in node:
                nodes.append([-1, float(node["leaf_value"]), -1, -1])
                return index
            if node["decision_type"] != "<=":
                raise SystemExit(f"unsupported split {node['decision_type']}")
            nodes.append([int(node["split_feature"]) + 1, float(node["threshold"]), 0, 0])
            nodes[index][2] = walk(node["left_child"])
            nodes[index][3] = walk(node["right_child"])
            return index

        walk(tree["tree_structure"])
        lines.append(str(len(nodes)))
        lines += [f"{f} {v!r} {left} {right}" for f, v, left, right in nodes]
    return "\n".join(lines) + "\n"


def evaluate(text: str, x: np.ndarray) -> np.ndarray:
    """The text form's raw scores, evaluated as TreeEnsemble does."""
    words = text.split()
    base, trees = float(words[3]), int(words[4])
    pos, out = 5, np.full(len(x), base)
    for _ in range(trees):
        count = int(words[pos]); pos += 1
        nodes = [(int(words[pos + 4 * i]), float(words[pos + 4 * i + 1]), int(words[pos + 4 * i + 2]),
                  int(words[pos + 4 * i + 3])) for i in range(count)]
        pos += 4 * count
        for r, row in enumerate(x):
            i = 0
            while nodes[i][0] >= 0:
                f, t, left, right = nodes[i]
                i = left if row[f] <= t else right
            out[r] += nodes[i][1]
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, nargs="+", default=[21, 22, 23, 24, 25, 26])
    parser.add_argument("--scenarios", nargs="+", default=["default", "small"])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--start", help="the first round's trees file, or 'none' (the logistic model)")
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--leaves", type=int, default=15)
    parser.add_argument("--learning-rate", type=float, default=0.05)
    parser.add_argument("--min-leaf", type=int, default=40)
    parser.add_argument("--target", choices=["decision", "join"], default="decision")
    parser.add_argument("--no-monotone", action="store_true", help="no monotone constraints")
    parser.add_argument("--out", default="/tmp/argus-trees.txt")
    parser.add_argument("--write-swift", action="store_true")
    parser.add_argument("--binary", default=str(ROOT / ".build-release/release/argus"))
    args = parser.parse_args()
    populations = [generate(Scenario.load(EVAL / "scenarios" / f"{s}.json"), seed)
                   for s in args.scenarios for seed in args.seeds]
    current = args.start
    option = "--trees" if args.target == "decision" else "--join-trees"
    names = NAMES[args.target]
    text, checks = "", []
    for round_ in range(args.rounds):
        xs, offsets, ys, results = [], [], [], []
        for population in populations:
            # Back to back, as the HTTP evaluator sends visits, and on the simulated clock, as a
            # deployment sees them (Safari's storage expiry, silences in days).
            for real_time in (False, True):
                decisions = run_replay(args.binary, population, [option, current] if current else [], real_time)
                x, o, y = (samples if args.target == "decision" else join_samples)(population, decisions)
                xs += x
                offsets += o
                ys += y
                results.append(outcome(population, decisions))
        report_round(round_, results, ys)
        x = np.array(xs, dtype=float)
        params = {
            "objective": "binary", "num_leaves": args.leaves, "learning_rate": args.learning_rate,
            "min_data_in_leaf": args.min_leaf, "lambda_l2": 1.0, "verbose": -1, "seed": 0, "deterministic": True,
            "num_threads": 2, "monotone_constraints": [0 if args.no_monotone else MONOTONE[args.target].get(n, 0) for n in names[1:]],
            "monotone_constraints_method": "advanced",
        }
        data = lgb.Dataset(x[:, 1:], label=np.array(ys), init_score=np.array(offsets), free_raw_data=False)
        booster = lgb.train(params, data, num_boost_round=args.iterations)
        text = export(booster, len(names))
        worst = float(np.max(np.abs(evaluate(text, x[:3000]) - booster.predict(x[:3000, 1:], raw_score=True))))
        assert worst < 1e-9, f"exported trees differ from the model by {worst}"
        # Vectors spread over the samples, with the library's raw scores: the Swift tests check
        # that TreeEnsemble evaluates the committed trees the same way.
        picked = x[np.linspace(0, len(x) - 1, 16).astype(int)]
        checks = list(zip(picked.tolist(), booster.predict(picked[:, 1:], raw_score=True).tolist()))
        Path(args.out).write_text(text)
        Path(f"{args.out}.round{round_}").write_text(text)
        current = args.out
        print(f"  {booster.num_trees()} trees written to {args.out}", flush=True)
    if args.write_swift and text:
        kind = "Decision" if args.target == "decision" else "Join"
        swift = SWIFT / f"Fitted{kind}Trees.swift"
        body = textwrap.indent(text.rstrip("\n"), "        ")
        swift.write_text(
            "// Generated by tools/fit_trees.py; do not edit by hand.\n"
            f"// Fitted with: {' '.join(['tools/fit_trees.py', *sys.argv[1:]])}\n\n"
            "extension TreeEnsemble {\n"
            f"    /// `DecisionModel.{'trees' if args.target == 'decision' else 'joinTrees'}`: a correction of the logistic"
            " model's log-odds.\n"
            f"    public static let fitted{kind} = TreeEnsemble(text: fitted{kind}Text)\n\n"
            f"    static let fitted{kind}Text = \"\"\"\n"
            f"{body}\n"
            "        \"\"\"\n"
            "}\n")
        print(f"  written to {swift}")
        rows = "\n".join(f"        ({json.dumps(v)}, {r!r})," for v, r in checks)
        test = TESTS / f"Fitted{kind}TreesCheck.swift"
        test.write_text(
            "// Generated by tools/fit_trees.py with the trees in Sources/ArgusIdentification; do not edit by hand.\n\n"
            "extension FittedTreesCheck {\n"
            f"    /// Feature vectors and the raw scores LightGBM gave them with `TreeEnsemble.fitted{kind}`.\n"
            f"    static let {args.target}: [Check] = [\n{rows}\n    ]\n"
            "}\n")
        print(f"  written to {test}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
