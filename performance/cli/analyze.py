"""The `essence analyze` subcommand: only parses options; the work is in analysis/."""

from __future__ import annotations

import argparse
from pathlib import Path

from performance.cli.options import add_perception_options
from performance.config import Settings


def register(sub: argparse._SubParsersAction) -> None:
    """Add `analyze` to the `essence` parser."""
    analyze = sub.add_parser(
        "analyze", help="emotion per face for images, folders and videos (CSV or a summary)"
    )
    analyze.add_argument("paths", nargs="+", help="image files, folders of images, video files")
    analyze.add_argument("--csv", type=Path, metavar="OUT", help="write rows here ('-': stdout)")
    add_perception_options(analyze)
    analyze.add_argument("--baseline", help="explicit neutral baseline TOML (essence baseline)")
    analyze.add_argument("--no-progress", action="store_true", help="no progress bar")
    analyze.set_defaults(handler=_analyze)


def _analyze(args: argparse.Namespace, settings: Settings) -> int:
    from performance.analysis.runner import run_analyze
    from performance.runtime.signals import stop_on_signals

    # SIGTERM/SIGHUP stop it before the next frame: no partial CSV is left, one line says so
    with stop_on_signals() as stop:
        return run_analyze([str(p) for p in args.paths], settings, csv_out=args.csv,
                           progress=not args.no_progress, stop=stop)
