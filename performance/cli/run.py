"""Subcommands `essence run` (the live show) and `essence rehearse` (a video plus the preview)."""

from __future__ import annotations

import argparse
from typing import Any

from performance.config import Settings
from performance.core.errors import ConfigError


def parse_size(text: str) -> tuple[int, int]:
    """`WxH` -> (W, H); ConfigError naming the option for anything else."""
    width, sep, height = text.strip().lower().partition("x")
    if sep and width.isdigit() and height.isdigit():
        w, h = int(width), int(height)
        if 16 <= w <= 8192 and 16 <= h <= 8192:
            return (w, h)
    raise ConfigError(f"--size: expected WIDTHxHEIGHT between 16 and 8192, such as 1280x720, "
                      f"got {text!r}")


def _add_common(parser: argparse.ArgumentParser) -> None:
    from performance.cli.analyze import add_perception_options

    parser.add_argument("--display", type=int, default=0, metavar="N",
                        help="display (monitor/projector) index for the window (default 0)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--fullscreen", dest="fullscreen", action="store_true", default=None,
                      help="fullscreen on the display")
    mode.add_argument("--windowed", dest="fullscreen", action="store_false",
                      help="a window (default)")
    parser.add_argument("--size", default="1280x720", metavar="WxH",
                        help="stage resolution and window size (default 1280x720)")
    parser.add_argument("--fps", type=float, default=60.0,
                        help="target frames per second (0: as fast as possible)")
    parser.add_argument("--headless", action="store_true",
                        help="no window: render offscreen (EGL) in real time")
    parser.add_argument("--seconds", type=float, metavar="N", help="stop after N seconds")
    parser.add_argument("--mirror", action="store_true", help="mirror the picture left-right")
    parser.add_argument("--visual", metavar="NAME", help="hold one visual instead of the "
                        "autopilot's programme")
    parser.add_argument("--no-vsync", action="store_true", help="do not wait for vsync")
    parser.add_argument("--cues", metavar="FILE",
                        help="show file (cue list) to run; default: the autopilot")
    parser.add_argument("--auto-go", type=float, metavar="S",
                        help="with --cues: press GO after the show waited S seconds (kiosk)")
    parser.add_argument("--osc-port", type=int, metavar="PORT",
                        help="OSC control port, UDP and TCP (default 53000; 0: no OSC)")
    parser.add_argument("--audio-device", metavar="N|NAME",
                        help="sound output by number or name fragment (essence devices)")
    parser.add_argument("--no-sound", dest="sound", action="store_const", const=False,
                        default=None, help="no generated sound")
    add_perception_options(parser)


def register(sub: Any) -> None:
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


def options_from_args(args: argparse.Namespace, spec: str) -> Any:
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


def _print_report(report: Any) -> None:
    print(f"essence: {report.frames} frames in {report.seconds:.1f} s; input "
          f"{report.input_status}; perception frames {report.perception_frames}; most faces "
          f"{report.max_faces}; tracked {report.max_tracked}"
          + (f"; errors {report.errors}" if report.errors else ""))


def _run(args: argparse.Namespace, settings: Settings) -> int:
    return _show(options_from_args(args, args.input), _osc_option(args, settings))


def _rehearse(args: argparse.Namespace, settings: Settings) -> int:
    from pathlib import Path

    from performance.core.errors import InputError

    if not Path(args.video).expanduser().is_file():
        raise InputError(args.video, "no such video file")
    return _show(options_from_args(args, args.video), _osc_option(args, settings))


def _osc_option(args: argparse.Namespace, settings: Settings) -> Settings:
    """--osc-port sets the UDP and the TCP port together (0: no OSC at all)."""
    from dataclasses import replace

    if args.osc_port is None:
        return settings
    return replace(settings, osc_port=args.osc_port, osc_tcp_port=args.osc_port)


def _show(options: Any, settings: Settings) -> int:
    """The show (cue list or autopilot) with OSC and sound around the live loop."""
    from dataclasses import replace
    from typing import cast

    from performance.core.clock import MonotonicClock
    from performance.runtime.assemble import shader_catalog
    from performance.runtime.live import run_live
    from performance.runtime.services import build_show, start_services

    if options.visual is not None and settings.cues:
        raise ConfigError("--visual and --cues exclude each other: the cue list picks visuals")
    visuals = sorted(shader_catalog()) if options.visual is not None else []  # only to check
    show = build_show(settings, visual=options.visual, visuals=visuals)
    clock = MonotonicClock()
    services = start_services(show, settings, clock=clock)
    try:
        report = run_live(replace(options, visual=None), settings, show=show,
                          commands=services.commands, clock=clock, publish=services.publish,
                          watch_input=services.watch_input)
        extra = cast(str, services.status_line())
    finally:
        services.close()
    _print_report(report)
    if extra:
        print(f"essence: {extra}")
    return 0
