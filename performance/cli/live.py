"""What `essence run` and `essence rehearse` share: the live-show options, turning them into
`LiveOptions`, and playing the show (the work is in performance/runtime/live.py)."""

from __future__ import annotations

import argparse
from dataclasses import replace
from typing import TYPE_CHECKING

from performance.cli.options import (
    add_calibration_option,
    add_perception_options,
    add_show_options,
    check_projector_calibration,
    parse_size,
)
from performance.config import DEFAULTS, LIVE_FPS, Isolation, Settings
from performance.core.errors import ConfigError

if TYPE_CHECKING:
    from performance.runtime.live import LiveOptions


def add_live_options(parser: argparse.ArgumentParser, *, fullscreen: bool = False) -> None:
    """The options of a live show (window, show, OSC, sound, perception); `fullscreen`:
    the command's default (the kiosk's), which the help names."""
    parser.add_argument("--display", type=int, default=0, metavar="N",
                        help="display (monitor/projector) index for the window (default 0)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--fullscreen", dest="fullscreen", action="store_true", default=None,
                      help="fullscreen on the display" + (" (default)" if fullscreen else ""))
    mode.add_argument("--windowed", dest="fullscreen", action="store_false",
                      help="a window" + ("" if fullscreen else " (default)"))
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
    parser.add_argument("--perception", choices=[i.value for i in Isolation],
                        help="run the face model in its own process (default) or a thread")
    parser.add_argument("--control", choices=[i.value for i in Isolation],
                        help="receive OSC in its own process (default) or on threads")
    parser.add_argument("--audio-device", metavar="N|NAME",
                        help="sound output by number or name fragment (essence devices)")
    parser.add_argument("--console", metavar="[HOST:]PORT",
                        help="serve the operator's web console (cue list, GO, the room) on "
                             "PORT, 127.0.0.1 unless HOST is given (docs/console.md)")
    parser.add_argument("--console-camera", action="store_const", const=True, default=None,
                        help="the console also shows the camera with face boxes (only on "
                             "127.0.0.1)")
    parser.add_argument("--oscquery-port", type=int, metavar="PORT",
                        help="OSCQuery's HTTP port with the console (default: the "
                             "console's port + 1)")
    add_calibration_option(parser)
    add_perception_options(parser)


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


def osc_option(args: argparse.Namespace, settings: Settings) -> Settings:
    """--osc-port sets the UDP and the TCP port together (0: no OSC at all)."""
    if args.osc_port is None:
        return settings
    return replace(settings, osc_port=args.osc_port, osc_tcp_port=args.osc_port)


def play(options: LiveOptions, settings: Settings) -> int:
    """Run the show with its services and print the report; the exit status."""
    from performance.runtime.live import run_show

    check_projector_calibration(settings)  # a bad mapping stops here, before any window
    report, extra = run_show(options, settings)
    print(report.summary())
    if extra:
        print(f"essence: {extra}")
    return 0
