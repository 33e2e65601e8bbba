"""The `essence run` subcommand (the live show): only parses options, see cli/live.py."""

from __future__ import annotations

import argparse

from performance.cli.live import add_live_options, options_from_args, osc_option, play
from performance.config import Settings


def register(sub: argparse._SubParsersAction) -> None:
    """Add `run` to the `essence` parser."""
    run = sub.add_parser("run", help="the live show: camera (or --input) -> emotion -> picture")
    run.add_argument("--input", default="0", metavar="SPEC",
                     help="camera index or name, video file, image, or 'scripted' "
                          "(virtual audience, no camera); default camera 0")
    run.add_argument("--loop", action="store_true", help="loop a video input")
    run.add_argument("--operator", action="store_true",
                     help="draw the operator overlay (status, errors) on this window")
    add_live_options(run)
    run.set_defaults(handler=_run, preview=False)


def _run(args: argparse.Namespace, settings: Settings) -> int:
    return play(options_from_args(args, args.input), osc_option(args, settings))
