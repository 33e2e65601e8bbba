"""The `essence` command: subcommands and their options. Work happens in app/ and below."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from performance import __version__
from performance.config import Settings, load_settings
from performance.core.errors import EssenceError

log = logging.getLogger("essence")


def build_parser() -> argparse.ArgumentParser:
    """All subcommands and options (the README lists them)."""
    parser = argparse.ArgumentParser(
        prog="essence",
        description="Essence rig: emotion of the room -> generative light and sound.",
    )
    parser.add_argument("--version", action="version", version=f"essence {__version__}")
    parser.add_argument("--config", type=Path, help="settings file (TOML)")
    parser.add_argument("-v", "--verbose", action="store_true", help="more log output")
    sub = parser.add_subparsers(dest="command", required=True)

    analyze = sub.add_parser(
        "analyze", help="emotion per face for images, folders and videos (CSV or a summary)"
    )
    analyze.add_argument("paths", nargs="+", help="image files, folders of images, video files")
    analyze.add_argument("--csv", type=Path, metavar="OUT", help="write rows here ('-': stdout)")
    _perception_options(analyze)
    analyze.add_argument("--baseline", help="explicit neutral baseline TOML (essence baseline)")
    analyze.add_argument("--no-progress", action="store_true", help="no progress bar")

    baseline = sub.add_parser(
        "baseline",
        help="learn an explicit neutral baseline from resting faces (writes only when asked)",
    )
    baseline.add_argument("paths", nargs="+", help="images or clips of resting faces")
    baseline.add_argument("--out", type=Path, required=True, help="baseline TOML to write")
    _perception_options(baseline)

    calibrate = sub.add_parser(
        "calibrate", help="fit the emotion mapping to labelled blendshape tables"
    )
    calibrate.add_argument("rest", nargs=argparse.REMAINDER, help="CSV files and options")

    model = sub.add_parser("model", help="find, check or download the face model")
    model.add_argument("--face-model", help="face_landmarker.task to check")
    model.add_argument("--no-download", action="store_true", help="never download")
    return parser


def _perception_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--face-model", help="face_landmarker.task (else $ESSENCE_FACE_MODEL)")
    parser.add_argument("--max-faces", type=int, help="most faces per frame (default 8)")
    parser.add_argument(
        "--tiles", help="crowd detection on overlapping tiles: off, auto or CxR (e.g. 3x2)"
    )


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {
        key: getattr(args, key, None)
        for key in ("face_model", "max_faces", "tiles", "baseline")
    }
    return load_settings(args.config, overrides=overrides)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `essence` and `python -m performance`; returns the exit status."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        if args.command == "calibrate":
            from performance.emotion.calibrate import main as calibrate_main

            return calibrate_main(args.rest)
        settings = _settings(args)
        if args.command == "analyze":
            from performance.app.run_analyze import run_analyze

            return run_analyze(
                [str(p) for p in args.paths], settings, csv_out=args.csv,
                progress=not args.no_progress,
            )
        if args.command == "baseline":
            from performance.app.run_analyze import run_baseline

            return run_baseline([str(p) for p in args.paths], settings, out=args.out)
        if args.command == "model":
            from performance.perception.model import resolve_model_path

            path = resolve_model_path(settings.face_model or None, download=not args.no_download)
            print(f"face model OK: {path}")
            return 0
    except EssenceError as exc:
        print(f"essence: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 1
