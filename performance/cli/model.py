"""The `essence model` subcommand: find, check or download the face model and the
expression network."""

from __future__ import annotations

import argparse
import sys

from performance.cli.options import add_expression_model_option, add_face_model_option
from performance.config import Reader, Settings


def register(sub: argparse._SubParsersAction) -> None:
    """Add `model` to the `essence` parser."""
    model = sub.add_parser("model", help="find, check or download the face model and the "
                                         "expression network")
    add_face_model_option(model)
    add_expression_model_option(model)
    model.add_argument("--reader", choices=[r.value for r in Reader],
                       help="the reader the models are for (default: the reader setting)")
    model.add_argument("--no-download", action="store_true", help="never download")
    model.set_defaults(handler=_model)


def _model(args: argparse.Namespace, settings: Settings) -> int:
    from performance.core.errors import ModelError
    from performance.perception.model import EXPRESSION_MODEL, FACE_MODEL, resolve_model_path

    wanted = [(FACE_MODEL, settings.face_model)]
    if Reader(settings.reader) is not Reader.BLENDSHAPES:
        wanted.append((EXPRESSION_MODEL, settings.expression_model))
    else:
        print("expression model: not used (reader blendshapes)")
    missing: list[str] = []
    for spec, given in wanted:  # each is reported, one missing model does not hide the next
        try:
            path = resolve_model_path(given, model=spec, download=not args.no_download)
        except ModelError as exc:
            missing.append(str(exc))
            continue
        print(f"{spec.what} OK: {path}")
    for line in missing:
        print(f"essence: {line}", file=sys.stderr)
    return 2 if missing else 0
