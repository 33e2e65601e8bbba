"""The `essence check` subcommand: only parses options; the checks are in runtime/check.py."""

from __future__ import annotations

import argparse
from pathlib import Path

from performance.cli.options import add_expression_model_option, add_face_model_option
from performance.config import DEFAULT_CUES, Reader, Settings


def register(sub: argparse._SubParsersAction) -> None:
    """Add `check` to the `essence` parser."""
    check = sub.add_parser("check", help="validate the show file, shaders, face model, audio")
    check.add_argument("--cues", type=Path, default=None,
                       help="show file to check (default: the cues setting, else "
                            f"{DEFAULT_CUES.name})")
    add_face_model_option(check)
    add_expression_model_option(check)
    check.add_argument("--reader", choices=[r.value for r in Reader],
                       help="the reader to check for (default: the reader setting)")
    check.add_argument("--shaders", type=Path, default=None, help="shader folder to check")
    check.add_argument("--no-gl", action="store_true", help="skip compiling the shaders")
    check.set_defaults(handler=_check)


def _check(args: argparse.Namespace, settings: Settings) -> int:
    from performance.runtime.check import run_check

    cues = Path(settings.cues) if settings.cues else None  # --cues, else the settings' show
    return run_check(cues, face_model=settings.face_model or None, shaders=args.shaders,
                     gl=not args.no_gl, expression_model=settings.expression_model or None,
                     reader=settings.reader)
