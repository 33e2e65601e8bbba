"""The `essence rehearse` subcommand: the live show from a prerecorded video, with the
operator preview (only parses options, see cli/live.py)."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from performance.cli.live import add_live_options, options_from_args, osc_option, play
from performance.cli.options import refuse_show_options_with_replay
from performance.config import Settings
from performance.core.errors import InputError


def register(sub: argparse._SubParsersAction) -> None:
    """Add `rehearse` to the `essence` parser."""
    rehearse = sub.add_parser(
        "rehearse", help="the same show from a prerecorded video, with the operator preview"
    )
    rehearse.add_argument("video", nargs="?",
                          help="video file (or image) to play instead of a camera")
    rehearse.add_argument("--replay", metavar="FILE.jsonl",
                          help="play a recording (essence record) back instead of a video: "
                               "the same show states, frame by frame")
    rehearse.add_argument("--loop", action="store_true", help="loop the video")
    add_live_options(rehearse)
    rehearse.set_defaults(handler=_rehearse, operator=True, preview=True)


def _rehearse(args: argparse.Namespace, settings: Settings) -> int:
    if args.replay is not None:
        if args.video is not None:
            raise InputError(args.video, "give a video or --replay FILE, not both")
        refuse_show_options_with_replay(args)
        options = replace(options_from_args(args, "scripted"), replay=args.replay)
        return play(options, osc_option(args, settings))
    if args.video is None:
        raise InputError("rehearse", "give a video file (or --replay FILE)")
    if not Path(args.video).expanduser().is_file():
        raise InputError(args.video, "no such video file")
    return play(options_from_args(args, args.video), osc_option(args, settings))
