"""Subcommands `essence run` (the live show) and `essence rehearse` (a video plus the preview).

Only parses options; the work is in performance/runtime/ (imported when run, so
`essence --help` stays instant).
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from performance.cli.options import add_perception_options, add_show_options, parse_size
from performance.config import DEFAULTS, LIVE_FPS, Settings
from performance.core.errors import ConfigError, InputError

if TYPE_CHECKING:
    from performance.runtime.live import LiveOptions


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--display", type=int, default=0, metavar="N",
                        help="display (monitor/projector) index for the window (default 0)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--fullscreen", dest="fullscreen", action="store_true", default=None,
                      help="fullscreen on the display")
    mode.add_argument("--windowed", dest="fullscreen", action="store_false",
                      help="a window (default)")
    add_show_options(parser, size_help="stage resolution and window size")
    parser.add_argument("--fps", type=float, default=LIVE_FPS,
                        help=f"target frames per second (default {LIVE_FPS:g}; "
                             "0: as fast as possible)")
    parser.add_argument("--headless", action="store_true",
                        help="no window: render offscreen (EGL) in real time")
    parser.add_argument("--seconds", type=float, metavar="N", help="stop after N seconds")
    parser.add_argument("--mirror", action="store_true", help="mirror the picture left-right")
    parser.add_argument("--no-vsync", action="store_true", help="do not wait for vsync")
    parser.add_argument("--auto-go", type=float, metavar="S",
                        help="with --cues: press GO after the show waited S seconds (kiosk)")
    parser.add_argument("--osc-port", type=int, metavar="PORT",
                        help=f"OSC control port, UDP and TCP (default {DEFAULTS.osc_port}; "
                             "0: no OSC)")
    parser.add_argument("--audio-device", metavar="N|NAME",
                        help="sound output by number or name fragment (essence devices)")
    add_perception_options(parser)


def register(sub: argparse._SubParsersAction) -> None:
    """Add run and rehearse to the `essence` parser."""
    run = sub.add_parser("run", help="the live show: camera (or --input) -> emotion -> picture")
    run.add_argument("--input", default="0", metavar="SPEC",
                     help="camera index or name, video file, image, or 'scripted' "
                          "(virtual audience, no camera); default camera 0")
    run.add_argument("--loop", action="store_true", help="loop a video input")
    run.add_argument("--operator", action="store_true",
                     help="draw the operator overlay (status, errors) on this window")
    _add_common(run)
    run.set_defaults(handler=_run, preview=False)

    rehearse = sub.add_parser(
        "rehearse", help="the same show from a prerecorded video, with the operator preview"
    )
    rehearse.add_argument("video", help="video file (or image) to play instead of a camera")
    rehearse.add_argument("--loop", action="store_true", help="loop the video")
    _add_common(rehearse)
    rehearse.set_defaults(handler=_rehearse, operator=True, preview=True)


def options_from_args(args: argparse.Namespace, spec: str) -> LiveOptions:
    """LiveOptions from parsed arguments (validates --size, --fps, --seconds)."""
    from performance.runtime.live import LiveOptions

    if not args.fps >= 0:
        raise ConfigError(f"--fps must be 0 or more, got {args.fps}")
    if args.seconds is not None and not args.seconds > 0:
        raise ConfigError(f"--seconds must be positive, got {args.seconds}")
    return LiveOptions(
        input=spec, loop_video=args.loop, size=parse_size(args.size), fps=args.fps,
        headless=args.headless, fullscreen=bool(args.fullscreen), display=args.display,
        mirror=args.mirror, seconds=args.seconds, operator=args.operator,
        preview=args.preview, visual=args.visual, vsync=not args.no_vsync,
    )


def _run(args: argparse.Namespace, settings: Settings) -> int:
    return _show(options_from_args(args, args.input), _osc_option(args, settings))


def _rehearse(args: argparse.Namespace, settings: Settings) -> int:
    if not Path(args.video).expanduser().is_file():
        raise InputError(args.video, "no such video file")
    return _show(options_from_args(args, args.video), _osc_option(args, settings))


def _osc_option(args: argparse.Namespace, settings: Settings) -> Settings:
    """--osc-port sets the UDP and the TCP port together (0: no OSC at all)."""
    if args.osc_port is None:
        return settings
    return replace(settings, osc_port=args.osc_port, osc_tcp_port=args.osc_port)


def _show(options: LiveOptions, settings: Settings) -> int:
    from performance.runtime.live import run_show

    report, extra = run_show(options, settings)
    print(report.summary())
    if extra:
        print(f"essence: {extra}")
    return 0
