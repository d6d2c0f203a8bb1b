"""`python -m evals [--bench] [AREA ...]` — score every capability and print the figures.

Areas: knowledge, compliance, analytics, routing (all by default).
"""

from __future__ import annotations

import argparse
import importlib
import json

AREAS = ("knowledge", "compliance", "analytics", "routing")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m evals", description=__doc__)
    parser.add_argument("areas", nargs="*", help=f"any of {', '.join(AREAS)} (default: all)")
    parser.add_argument("--bench", action="store_true", help="also run the speed benchmarks")
    parser.add_argument("--json", dest="json_out", help="write all figures to this JSON file")
    parser.add_argument("--calibrate", action="store_true",
                        help="recompute the knowledge base's decline thresholds for the index in ZHANGGUI_HOME")
    args = parser.parse_args()
    if args.calibrate:
        from agent.settings import get_settings
        from evals.knowledge import calibrate

        calibrate(get_settings().home)
        return
    figures = {}
    unknown = set(args.areas) - set(AREAS)
    if unknown:
        parser.error(f"unknown area(s): {', '.join(sorted(unknown))}")
    for area in args.areas or AREAS:
        module = importlib.import_module(f"evals.{area}")
        figures[area] = module.run(args.bench)
    if args.json_out:
        with open(args.json_out, "w", encoding="utf-8") as fh:
            json.dump(figures, fh, ensure_ascii=False, indent=2, default=str)


if __name__ == "__main__":
    main()
