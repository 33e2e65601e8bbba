"""The `essence baseline` subcommand: only parses options; the work is in analysis/."""

from __future__ import annotations

import argparse
from pathlib import Path

from performance.cli.options import add_perception_options
from performance.config import Settings


def register(sub: argparse._SubParsersAction) -> None:
    """Add `baseline` to the `essence` parser."""
    baseline = sub.add_parser(
        "baseline",
        help="learn an explicit neutral baseline from resting faces (writes only when asked)",
    )
    baseline.add_argument("paths", nargs="+", help="images or clips of resting faces")
    baseline.add_argument("--out", type=Path, required=True, help="baseline TOML to write")
    add_perception_options(baseline)
    baseline.set_defaults(handler=_baseline)


def _baseline(args: argparse.Namespace, settings: Settings) -> int:
    from performance.analysis.runner import run_baseline

    return run_baseline([str(p) for p in args.paths], settings, out=args.out)
