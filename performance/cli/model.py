"""The `essence model` subcommand: find, check or download the face model."""

from __future__ import annotations

import argparse

from performance.cli.options import add_face_model_option
from performance.config import Settings


def register(sub: argparse._SubParsersAction) -> None:
    """Add `model` to the `essence` parser."""
    model = sub.add_parser("model", help="find, check or download the face model")
    add_face_model_option(model)
    model.add_argument("--no-download", action="store_true", help="never download")
    model.set_defaults(handler=_model)


def _model(args: argparse.Namespace, settings: Settings) -> int:
    from performance.perception.model import resolve_model_path

    path = resolve_model_path(settings.face_model, download=not args.no_download)
    print(f"face model OK: {path}")
    return 0
