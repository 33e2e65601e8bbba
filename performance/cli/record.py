"""The `essence record` subcommand: `rehearse` (or `run`, from a camera) that records the
tracking stream, commands, cues, OSC and show states from the first frame (only parses
options; the work is in performance/recording/ and runtime/recorded.py)."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from performance.cli.live import add_live_options, options_from_args, osc_option
from performance.cli.options import add_loop_option, add_out_option, add_source_argument
from performance.config import Settings
from performance.core.errors import InputError


def register(sub: argparse._SubParsersAction) -> None:
    """Add `record` to the `essence` parser."""
    record = sub.add_parser(
        "record", help="the show with the operator preview, recording the tracking stream "
                       "(numbers, never images) to replay it later",
        description="Run the show from SOURCE (a video file, a camera index or name, or "
                    "'scripted') and record what the show was given and what it did, as JSON "
                    "lines (docs/recording.md). Replay it with `essence rehearse --replay "
                    "FILE` or `essence render --replay FILE --out video.mp4`.")
    add_source_argument(record, help="video file, camera index or name, or 'scripted' "
                                     "(default: camera 0)")
    add_out_option(record, metavar="FILE.jsonl",
                   help="the recording to write (default: a timestamped file in the user data "
                        "folder's recordings/)")
    add_loop_option(record)
    add_live_options(record)
    record.set_defaults(handler=_record, operator=True, preview=True)


def _record(args: argparse.Namespace, settings: Settings) -> int:
    from performance.cli.options import check_projector_calibration
    from performance.runtime.live import run_show

    out: Path | None = args.out
    if out is not None:
        from performance.core.files import check_writable

        if out.suffix.lower() != ".jsonl":
            raise InputError(out, "--out: a recording is a .jsonl file (JSON lines)")
        check_writable(out.expanduser(), example="rehearsal.jsonl")
    options = replace(options_from_args(args, args.source),
                      record=str(out.expanduser()) if out is not None else "")
    check_projector_calibration(settings)  # as `play` does, before any window
    report, extra = run_show(options, osc_option(args, settings))
    print(report.summary())
    if extra:
        print(f"essence: {extra}")
    # a full disk, a vanished folder, a stalled disk: exit 2; the tap said on stderr, once,
    # what was kept
    return 2 if any(not r.complete for r in report.recordings) else 0
