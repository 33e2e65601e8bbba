"""The `essence kiosk` subcommand (the unattended gallery show): only parses options; the work
is in performance/kiosk/."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from performance.cli.live import add_live_options, options_from_args, osc_option
from performance.cli.options import check_projector_calibration
from performance.config import LIVE_FPS, Settings


def register(sub: argparse._SubParsersAction) -> None:
    """Add `kiosk` to the `essence` parser."""
    kiosk = sub.add_parser(
        "kiosk", help="the show unattended: fullscreen, looping, resuming, watched by systemd")
    kiosk.add_argument("--input", default="0", metavar="SPEC",
                       help="camera index or name, or a video file (default camera 0); a "
                            "missing camera is retried, the show starts without it")
    kiosk.add_argument("--loop", action="store_true", help="loop a video input")
    kiosk.add_argument("--install-unit", action="store_true",
                       help="write the systemd user unit (and an XDG autostart entry) that "
                            "runs this kiosk with these options, print how to enable it")
    kiosk.add_argument("--reset", action="store_true",
                       help="forget the resume point and the crash count, then exit")
    add_live_options(kiosk, fullscreen=True)
    kiosk.set_defaults(handler=_kiosk, operator=False, preview=False)


def _kiosk(args: argparse.Namespace, settings: Settings) -> int:
    from performance.kiosk.state import state_paths

    paths = state_paths()
    if args.install_unit:
        return _install(args)
    if args.reset:
        for path in (paths.resume, paths.starts):
            if path.exists():
                path.unlink()
                print(f"essence: removed {path}")
        return 0
    from performance.kiosk.lock import single_instance
    from performance.kiosk.logs import install_kiosk_logging
    from performance.kiosk.run import run_kiosk

    options = options_from_args(args, args.input)
    check_projector_calibration(settings)  # a bad mapping: one line, before the show
    if args.fullscreen is None and not args.headless:
        options = replace(options, fullscreen=True)
    with single_instance(paths):
        last_error = install_kiosk_logging(paths.log)
        report = run_kiosk(options, osc_option(args, settings), paths, last_error=last_error)
    print(report.run.summary())
    print(f"essence: kiosk ended in {report.mode} mode"
          + (f"; resumed at cue {report.resumed}" if report.resumed else "")
          + (f"; {report.safe_reason}" if report.safe_reason else "")
          + (f"; {report.show_note}" if report.show_note else ""))
    return report.status


def _install(args: argparse.Namespace) -> int:
    from performance.kiosk.unit import install_unit

    installed = install_unit(kiosk_command(args), working_directory=Path.cwd())
    print(f"essence: wrote {installed.unit}")
    print(f"essence: wrote {installed.autostart} (for desktops without systemd user sessions)")
    print("enable and start it with:")
    for line in installed.commands:
        print(f"  {line}")
    return 0


def kiosk_command(args: argparse.Namespace) -> list[str]:
    """The argv the unit runs: this installation's `essence kiosk` with the options given
    (files made absolute, so the unit does not depend on the folder it starts in)."""
    script = Path(sys.executable).with_name("essence")
    command = [str(script)] if script.is_file() else [sys.executable, "-m", "performance"]
    if args.config is not None:
        command += ["--config", str(Path(args.config).resolve())]
    command.append("kiosk")
    if args.cues:
        command += ["--cues", str(Path(args.cues).resolve())]
    spec = args.input
    if Path(spec).expanduser().exists():
        spec = str(Path(spec).expanduser().resolve())
    command += ["--input", spec, "--display", str(args.display), "--size", args.size]
    if args.loop:
        command.append("--loop")
    if args.fullscreen is False:
        command.append("--windowed")
    for flag, value in _value_options(args):
        if value is not None:
            command += [flag, str(value)]
    for flag, on in (("--no-sound", args.sound is False), ("--mirror", args.mirror),
                     ("--no-vsync", args.no_vsync), ("--console-camera", args.console_camera)):
        if on:
            command.append(flag)
    for flag, dest in FILE_OPTIONS:
        if getattr(args, dest, None):
            command += [flag, str(Path(getattr(args, dest)).expanduser().resolve())]
    return command


def _value_options(args: argparse.Namespace) -> list[tuple[str, object]]:
    """The options with a value the unit passes on as given (None: not given)."""
    fps = None if args.fps == LIVE_FPS else args.fps
    return [("--auto-go", args.auto_go), ("--osc-port", args.osc_port),
            ("--audio-device", args.audio_device), ("--fps", fps),
            ("--console", args.console), ("--oscquery-port", args.oscquery_port),
            ("--perception", args.perception), ("--control", args.control),
            ("--reader", args.reader), ("--max-faces", args.max_faces),
            ("--tiles", args.tiles), ("--visual", args.visual)]


FILE_OPTIONS = (("--calibration", "projector_calibration"),
                ("--camera-calibration", "camera_calibration"),
                ("--face-model", "face_model"), ("--expression-model", "expression_model"))
"""Options naming a file, made absolute for the unit: (flag, argparse dest)."""
