"""The `essence check` subcommand: only parses options; the checks are in runtime/check.py."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from performance.cli.options import (
    add_calibration_option,
    add_expression_model_option,
    add_face_model_option,
)
from performance.config import DEFAULT_CUES, Reader, Settings

if TYPE_CHECKING:
    from performance.runtime.check import Report


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
    add_calibration_option(check)
    check.add_argument("--camera-calibration", metavar="FILE",
                       help="camera calibration to check (default: the camera_calibration "
                            "setting)")
    check.add_argument("--shaders", type=Path, default=None, help="shader folder to check")
    check.add_argument("--no-gl", action="store_true", help="skip compiling the shaders")
    check.add_argument("--kiosk", action="store_true",
                       help="also what would stop an unattended run: display, screen blanking, "
                            "camera, sound output, disk, opening hours, the systemd unit")
    check.add_argument("--input", default="0", metavar="SPEC",
                       help="with --kiosk: the camera (or video) the kiosk will use (default 0)")
    check.add_argument("--display", type=int, default=0, metavar="N",
                       help="with --kiosk: the display the kiosk will use (default 0)")
    check.set_defaults(handler=_check)


def _check(args: argparse.Namespace, settings: Settings) -> int:
    from performance.core.errors import InputError
    from performance.runtime.check import run_check

    if args.shaders is not None and not args.shaders.is_dir():  # else: every visual "unknown"
        why = "is not a folder" if args.shaders.exists() else "no such folder"
        raise InputError(args.shaders, f"--shaders: {why}")
    cues = Path(settings.cues) if settings.cues else None  # --cues, else the settings' show
    extra = None
    if args.kiosk:
        from performance.kiosk.preflight import run_kiosk_checks
        from performance.kiosk.state import state_paths

        def extra(report: Report) -> None:
            run_kiosk_checks(report, spec=args.input, display=args.display,
                             hours=settings.opening_hours, paths=state_paths())
    return run_check(cues, face_model=settings.face_model or None, shaders=args.shaders,
                     gl=not args.no_gl, expression_model=settings.expression_model or None,
                     reader=settings.reader, extra=extra,
                     projector_calibration=settings.projector_calibration,
                     camera_calibration=settings.camera_calibration)
