#!/usr/bin/env python3
"""Writes one simulated population of the evaluator (../shared/eval, the yardstick, not
part of this repo) as a test fixture: the visits in time order as JSON lines, raw-deflated.

    python3 tools/population_fixture.py --scenario small --seed 1 \
        Tests/ArgusIdentificationTests/Fixtures/population-small-seed1.jsonl.deflate

The first line describes the population ({"source", "scenario", "seed", "visits"}); every
other line is one visit: the device (the ground truth), its storage mode, client IP, page,
referrer and components as the evaluator sends them, and the visit's class by what the
request carried (`metrics.difficulty`, independent of any server's answers).
PopulationReplayTests replays it through the engine and scores the ids as the evaluator does.
Read one back: python3 -c "import sys, zlib; sys.stdout.buffer.write(zlib.decompress(open(sys.argv[1], 'rb').read(), -15))" FILE
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVAL = Path(os.environ.get("ARGUS_EVAL_DIR", ROOT.parent / "shared" / "eval"))
sys.path.insert(0, str(EVAL))

from metrics import difficulty  # noqa: E402
from population import Scenario, generate  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", default="small", help="a scenario of ../shared/eval/scenarios, or a JSON file")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    path = Path(args.scenario) if args.scenario.endswith(".json") else EVAL / "scenarios" / f"{args.scenario}.json"
    population = generate(Scenario.load(path), args.seed)

    def line(value: dict) -> str:
        return json.dumps(value, sort_keys=True, separators=(",", ":")) + "\n"

    text = line({"source": "shared/eval/population.py", "scenario": path.stem, "seed": args.seed,
                 "visits": len(population.visits)})
    for visit, kind in zip(population.visits, difficulty(population), strict=True):
        text += line({"device": visit.device, "storage": visit.storage, "ip": visit.ip, "url": visit.url,
                      "referrer": visit.referrer, "class": kind, "components": visit.components})
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    args.out.write_bytes(packer.compress(text.encode()) + packer.flush())
    print(f"{args.out}: {len(population.visits)} visits, {args.out.stat().st_size} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
