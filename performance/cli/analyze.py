"""Subcommands about faces and emotion: analyze, baseline, model (only parsing options)."""

from __future__ import annotations

import argparse
from pathlib import Path

from performance.cli.options import add_face_model_option, add_perception_options
from performance.config import Settings


def register(sub: argparse._SubParsersAction) -> None:
    """Add analyze, baseline and model to the `essence` parser."""
    analyze = sub.add_parser(
        "analyze", help="emotion per face for images, folders and videos (CSV or a summary)"
    )
    analyze.add_argument("paths", nargs="+", help="image files, folders of images, video files")
    analyze.add_argument("--csv", type=Path, metavar="OUT", help="write rows here ('-': stdout)")
    add_perception_options(analyze)
    analyze.add_argument("--baseline", help="explicit neutral baseline TOML (essence baseline)")
    analyze.add_argument("--no-progress", action="store_true", help="no progress bar")
    analyze.set_defaults(handler=_analyze)

    baseline = sub.add_parser(
        "baseline",
        help="learn an explicit neutral baseline from resting faces (writes only when asked)",
    )
    baseline.add_argument("paths", nargs="+", help="images or clips of resting faces")
    baseline.add_argument("--out", type=Path, required=True, help="baseline TOML to write")
    add_perception_options(baseline)
    baseline.set_defaults(handler=_baseline)

    model = sub.add_parser("model", help="find, check or download the face model")
    add_face_model_option(model)
    model.add_argument("--no-download", action="store_true", help="never download")
    model.set_defaults(handler=_model)


def _analyze(args: argparse.Namespace, settings: Settings) -> int:
    from performance.analysis.runner import run_analyze

    return run_analyze([str(p) for p in args.paths], settings, csv_out=args.csv,
                       progress=not args.no_progress)


def _baseline(args: argparse.Namespace, settings: Settings) -> int:
    from performance.analysis.runner import run_baseline

    return run_baseline([str(p) for p in args.paths], settings, out=args.out)


def _model(args: argparse.Namespace, settings: Settings) -> int:
    from performance.perception.model import resolve_model_path

    path = resolve_model_path(settings.face_model, download=not args.no_download)
    print(f"face model OK: {path}")
    return 0
