#!/usr/bin/env python3
"""Offline replay of the evaluator's population through Argus's identification
engine (no HTTP, no storage): for fast iteration on the engine.

    python3 tools/replay.py [--scenario default] [--seeds 11 12] [--weights '{"sameLastIP": 3.5}'] [--tables]

It generates the population with ../shared/eval (the yardstick, not part of
this repo), pipes the visits in time order to `argus replay`, which plays the
browsers' token storage exactly as the evaluator does, and scores the ids with
the evaluator's own metrics. Figures quoted in BENCHMARKS.md come from the
real HTTP evaluator (scripts/eval); this tool is for exploring.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVAL = Path(os.environ.get("ARGUS_EVAL_DIR", ROOT.parent / "shared" / "eval"))
sys.path.insert(0, str(EVAL))

import identify_eval as ev  # noqa: E402
from metrics import fingerprint_hash_ids, score, storage_only_ids  # noqa: E402
from population import Scenario, generate  # noqa: E402


def arrival_order(population, shards: int, seed: int) -> list[int]:
    """The order in which the HTTP evaluator's visits reach a server: its workers each play one
    shard of devices (device % shards) in time order, side by side at slightly different speeds
    (modelled here as each worker's own speed, ±5 %, plus a little jitter per visit)."""
    import random
    rng = random.Random(seed)
    speed = [1 + rng.uniform(-0.05, 0.05) for _ in range(shards)]
    position = [0] * shards
    keys = []
    for i, v in enumerate(population.visits):
        s = v.device % shards
        keys.append(((position[s] + rng.random()) / speed[s], i))
        position[s] += 1
    return [i for _, i in sorted(keys)]


def run_replay(binary: str, population, options: list[str], real_time: bool = False,
               shards: int = 0, shard_seed: int = 0) -> list[dict]:
    """Pipes the population's visits through `argus replay OPTIONS`: one decision per visit, in the
    population's order. Visits go in time order, or with `shards` in the order the HTTP evaluator's
    workers would deliver them (`arrival_order`).
    With `real_time`, each visit carries its simulated time (`t`, ms), as a server's clock would give it;
    without, visits come back to back, as the HTTP evaluator sends them."""
    def line(v) -> dict:
        d = {"device": v.device, "storage": v.storage, "ip": v.ip, "url": v.url, "referrer": v.referrer,
             "components": v.components}
        if real_time:
            d["t"] = int(v.day * 86_400_000)
        return d
    order = arrival_order(population, shards, shard_seed) if shards else list(range(len(population.visits)))
    lines = "".join(json.dumps(line(population.visits[i])) + "\n" for i in order)
    out = subprocess.run([binary, "replay", *options], input=lines.encode(), capture_output=True, check=True)
    decisions: list[dict] = [{}] * len(order)
    for i, text in zip(order, out.stdout.decode().splitlines(), strict=True):
        decisions[i] = json.loads(text)
    return decisions


def diagnose(population, ids, decisions) -> None:
    from collections import Counter
    from metrics import continuity_outcomes, difficulty
    classes = difficulty(population)
    outcomes = continuity_outcomes(population, ids)
    errors = Counter()
    for visit, cls, outcome, d in zip(population.visits, classes, outcomes, decisions):
        if outcome != "correct":
            errors[(outcome, cls, d["basis"], visit.tags[0] if visit.tags else "")] += 1
    owner, joins = {}, Counter()
    for visit, d in zip(population.visits, decisions):
        if d["basis"] == "joined":
            joins["right" if owner.get(d["visitorId"]) == visit.device else "wrong"] += 1
        owner.setdefault(d["visitorId"], visit.device)
    print(f"  joins: {dict(joins)}")
    last_ip, sameip = {}, Counter()
    for visit, cls, outcome, d in zip(population.visits, classes, outcomes, decisions):
        if cls != "token" and visit.device in last_ip and last_ip[visit.device] == visit.ip:
            f = d.get("features")
            sameip[(cls, visit.storage, outcome, d["basis"],
                    "rivals>0" if f and f[3] > 0 else "", "crowd>5" if f and f[12] > 1.8 else "")] += 1
        last_ip[visit.device] = visit.ip
    print("  no-token visits from the device's previous address:")
    for key, n in sameip.most_common(14):
        print(f"    {n:5d}  {key}")
    print("  continuity errors (outcome, class, basis, first drift tag):")
    for key, n in errors.most_common(25):
        print(f"    {n:5d}  {key}")
    # What separated wrongly merged first visits from the visitor they were merged into.
    owner, latest, diffs = {}, {}, Counter()
    for i, (visit, cls, outcome, d) in enumerate(zip(population.visits, classes, outcomes, decisions)):
        vid = ids[i]
        if outcome == "false-merge" and d["basis"] == "fingerprint" and vid in owner:
            other = latest.get(owner[vid])
            if other is not None:
                keys = tuple(sorted(k for k in visit.components if visit.components[k] != other.components.get(k)))
                same_ip = "same-ip" if other.ip == visit.ip else "other-ip"
                diffs[(cls, same_ip, keys)] += 1
        owner.setdefault(vid, visit.device)
        latest[visit.device] = visit
    feats = Counter()
    for visit, cls, outcome, d in zip(population.visits, classes, outcomes, decisions):
        if outcome == "split" and cls == "no-token returning" and d["basis"] == "new":
            f = d.get("features")
            if f is None:
                feats[("no candidate",)] += 1
                continue
            addr = 3 if f[4] else 2 if f[5] else 1 if f[6] else 0
            rivals = round(2.718281828 ** f[3] - 1)
            crowd = round(2.718281828 ** f[12] - 1)
            feats[(f"addr{addr}", f"rivals{min(rivals, 3)}", "crowd>5" if crowd > 5 else "crowd<=5",
                   f"drift{max(round(f[7]), -6)}", "exact" if f[9] else "", "private" if f[14] else "")] += 1
    print("  returning visits split: features of the best candidate")
    for key, n in feats.most_common(15):
        print(f"    {n:5d}  {key}")
    print("  fingerprint false merges: (class, ip, components that differ from the owner's latest visit)")
    for key, n in diffs.most_common(20):
        print(f"    {n:5d}  {key}")


def missed(first: dict | None) -> str:
    """Why the device's first visitor was not weighed (`argus replay --locate-first`)."""
    if not first:
        return ""
    if first["ephemeral"]:
        return ": a private-only visitor"
    if first["merged"]:
        return ": joined into another"
    if first["score"] is None:
        return ": other hardware"
    if not first["found"]:
        return ": not found by the blocking keys" + (", would have been the best" if first["above"] == 0 else "")
    return ": found, scored lower"


def chains(population, decisions) -> None:
    """Where strict errors start. A visit is right only with its device's first id, so one wrong
    decision costs every later visit until a join repairs it: each run of wrong visits is traced
    back to the visit that started it, classed by what the engine saw there, and by how it ended
    (the basis of the visit that got the first id back, or never)."""
    from collections import Counter
    from metrics import difficulty, outcomes
    classes = difficulty(population)
    first, start = {}, {}
    lost, lost_by_class = Counter(), Counter()
    runs, run_visits = Counter(), Counter()
    for visit, cls, outcome, d in zip(population.visits, classes,
                                      outcomes(population, [d["visitorId"] for d in decisions]), decisions):
        first.setdefault(visit.device, d["visitorId"])
        if outcome == "correct":
            if visit.device in start:
                cause, _, length = start.pop(visit.device)
                runs[(cause, d["basis"])] += 1
                run_visits[(cause, d["basis"])] += length
            continue
        if visit.device not in start:
            right = first[visit.device]
            weighed = {w["id"] for w in d.get("weighed") or []}
            if outcome == "false-merge":
                cause = "a false merge"
            elif d["basis"] == "token":
                cause = "a token visit"
            elif d.get("top") == right:
                cause = "the right browser best, its probability under the bar"
            elif right in weighed:
                cause = "the right browser weighed, another likelier"
            else:
                cause = "the right browser not among the close candidates" + missed(d.get("first"))
            start[visit.device] = (cause, cls, 0)
        cause, cls0, length = start[visit.device]
        start[visit.device] = (cause, cls0, length + 1)
        lost[cause] += 1
        lost_by_class[(cause, cls0)] += 1
    for cause, _, length in start.values():
        runs[(cause, "never")] += 1
        run_visits[(cause, "never")] += length
    n = len(decisions)
    print("  share of visits lost in runs of strict errors that started at")
    for cause, k in lost.most_common():
        print(f"    {k / n:.4f}  {cause}")
    for (cause, cls), k in lost_by_class.most_common(10):
        print(f"      {k / n:.4f}  {cause} / {cls}")
    print("  the runs by how they ended: runs, visits lost (share), mean length")
    for (cause, end), k in run_visits.most_common():
        print(f"    {runs[(cause, end)]:5d} {k:6d} ({k / n:.4f}) {k / runs[(cause, end)]:5.1f}  {cause} / ended: {end}")


def calibration(population, decisions) -> None:
    """Confidence against what happened: an answer is right when its id belongs to
    the browser (first given to it) and, for a new id, when the visit is the browser's first."""
    edges = [0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0001]
    rows = [[0, 0.0, 0] for _ in edges[:-1]]
    owner, seen = {}, set()
    for visit, d in zip(population.visits, decisions):
        vid = d["visitorId"]
        owner.setdefault(vid, visit.device)
        right = owner[vid] == visit.device and (d["basis"] != "new" or visit.device not in seen)
        seen.add(visit.device)
        c = d["confidence"]
        i = next(k for k in range(len(edges) - 1) if edges[k] <= c < edges[k + 1])
        rows[i][0] += 1
        rows[i][1] += c
        rows[i][2] += right
    print("  confidence      visits  mean conf  observed")
    for k, (n, total, right) in enumerate(rows):
        if n:
            print(f"  [{edges[k]:.2f}, {min(edges[k + 1], 1):.2f})  {n:8d}  {total / n:9.3f}  {right / n:8.3f}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scenario", default="default")
    parser.add_argument("--seeds", type=int, nargs="+", default=[11])
    parser.add_argument("--weights", default="{}", help="JSON object of Weights overrides")
    parser.add_argument("--binary", default=str(ROOT / ".build-release/release/argus"))
    parser.add_argument("--tables", action="store_true")
    parser.add_argument("--model", help="JSON array of decision-model coefficients")
    parser.add_argument("--threshold", type=float)
    parser.add_argument("--join", type=float)
    parser.add_argument("--join-model")
    parser.add_argument("--trees", help="a decision-tree ensemble's text file (tools/fit_trees.py), or 'none'")
    parser.add_argument("--join-trees", help="a join-tree ensemble's text file (tools/fit_trees.py --target join), or 'none'")
    parser.add_argument("--policy", default="auto", help="match policy: auto, household or fleet")
    parser.add_argument("--calibration", action="store_true", help="confidence against observed accuracy")
    parser.add_argument("--diagnose", action="store_true", help="break errors down by class, basis and drift")
    parser.add_argument("--chains", action="store_true", help="where the runs of strict errors start")
    parser.add_argument("--real-time", action="store_true",
                        help="give each visit its simulated time (a server's clock) instead of back to back")
    parser.add_argument("--shards", type=int, default=0,
                        help="deliver visits as the HTTP evaluator's N workers would (device %% N, side by side)")
    parser.add_argument("--shard-seed", type=int, default=0, help="the workers' relative speeds (--shards)")
    args = parser.parse_args()
    path = Path(args.scenario)
    if not path.exists():
        path = EVAL / "scenarios" / f"{args.scenario}.json"
    scenario = Scenario.load(path)
    for seed in args.seeds:
        population = generate(scenario, seed)
        extra = ["--policy", args.policy] + (["--model", args.model] if args.model else []) + (["--threshold", str(args.threshold)] if args.threshold else []) + (["--join", str(args.join)] if args.join else []) + (["--join-model", args.join_model] if args.join_model else []) + (["--trees", args.trees] if args.trees else []) + (["--join-trees", args.join_trees] if args.join_trees else []) + (["--locate-first"] if args.chains else [])
        decisions = run_replay(args.binary, population, ["--weights", args.weights, *extra], args.real_time,
                               args.shards, args.shard_seed)
        ids = [d["visitorId"] for d in decisions]
        scores = {"server": score(population, ids),
                  "fingerprint-hash": score(population, fingerprint_hash_ids(population)),
                  "storage-only": score(population, storage_only_ids(population))}
        s = scores["server"]
        classes = " ".join(f"{name.replace('no-token ', '')}={s.by_class[name].accuracy:.3f}"
                           for name in ("token", "no-token new", "no-token returning", "no-token twin",
                                        "no-token twin same-ip") if s.by_class[name].visits)
        print(f"{path.stem} seed {seed}: strict {s.overall.accuracy:.4f} false-merge {s.overall.false_merge_rate:.4f} "
              f"split {s.overall.split_rate:.4f} continuity {s.continuity.accuracy:.4f} | {classes}")
        if args.calibration:
            calibration(population, decisions)
        if args.diagnose:
            diagnose(population, ids, decisions)
        if args.chains:
            chains(population, decisions)
        if args.tables:
            print("\n".join(ev.overall_table(scores) + ev.class_table(scores) + ev.drift_table(scores)
                            + ev.crowd_table(population, scores)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
