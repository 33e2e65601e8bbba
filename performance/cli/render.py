"""The `essence render` subcommand: the show rendered offline to an MP4 and a contact sheet.

Only parses options; the work is in performance/runtime/offline.py (imported when run, so
`essence --help` stays instant).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from performance.cli.options import (
    DEFAULT_SIZE_TEXT,
    add_calibration_option,
    add_perception_options,
    add_show_options,
    check_projector_calibration,
    parse_size,
    refuse_show_options_with_replay,
)
from performance.config import (
    CONTACT_FRAMES,
    DEFAULT_SCRIPTED_FACES,
    DEFAULTS,
    RENDER_FPS,
    RENDER_SECONDS,
    Settings,
)
from performance.core.errors import InputError

if TYPE_CHECKING:
    from performance.audio.engine import SynthTrack


def register(sub: argparse._SubParsersAction) -> None:
    """Add `render` to the `essence` parser."""
    render = sub.add_parser(
        "render",
        help="render the show offline to an H.264 MP4 plus a contact sheet PNG",
        description="Render the show frame by frame on the media clock (deterministic: the "
                    "same input gives the same file). Writes FILE.mp4 and FILE.contact.png.",
    )
    render.add_argument("--input", metavar="VIDEO|IMAGE|scripted",
                        help="a video file, an image, or 'scripted' (the built-in audience)")
    render.add_argument("--replay", metavar="FILE.jsonl",
                        help="instead of --input: a recording (essence record), replayed "
                             "frame by frame at its own rate and stage size")
    render.add_argument("--out", required=True, type=Path, metavar="FILE.mp4",
                        help="the video to write (its contact sheet goes beside it)")
    render.add_argument("--seconds", type=float,
                        help=f"length (default: the video's duration; {RENDER_SECONDS:g} s "
                             "otherwise)")
    add_show_options(render, size_help="picture size, even numbers")
    render.add_argument("--fps", type=float, default=RENDER_FPS,
                        help=f"frames per second (default {RENDER_FPS:g})")
    render.add_argument("--contact-frames", type=int, default=CONTACT_FRAMES, metavar="N",
                        help=f"frames on the contact sheet (0: no sheet; default "
                             f"{CONTACT_FRAMES})")
    render.add_argument("--scripted-faces", type=int, default=DEFAULT_SCRIPTED_FACES,
                        metavar="N",
                        help=f"faces in the scripted audience (default {DEFAULT_SCRIPTED_FACES})")
    render.add_argument("--auto-go", dest="render_auto_go", type=float, metavar="S",
                        help="with --cues: press GO after the show waited S seconds (default "
                             f"{DEFAULTS.render_auto_go:g}, the render_auto_go setting)")
    add_calibration_option(render)
    add_perception_options(render)
    render.add_argument("--no-progress", action="store_true", help="no progress bar")
    render.set_defaults(handler=_render)


def _render(args: argparse.Namespace, settings: Settings) -> int:
    from performance.runtime.offline import RenderJob, render_offline
    from performance.runtime.signals import stop_on_signals

    if (args.input is None) == (args.replay is None):
        raise InputError("--input", "give either --input or --replay FILE")
    if args.replay is not None:
        return _render_replay(args, settings)
    if args.contact_frames < 0:
        raise InputError("--contact-frames", f"must be 0 or more, got {args.contact_frames}")
    if args.scripted_faces < 1:
        raise InputError("--scripted-faces", f"must be 1 or more, got {args.scripted_faces}")
    job = RenderJob(
        input=args.input,
        out=args.out,
        seconds=args.seconds,
        size=parse_size(args.size),
        fps=args.fps,
        visual=args.visual,
        scripted_faces=args.scripted_faces,
        contact_frames=args.contact_frames,
        calibration=settings.projector_calibration,
    )
    check_projector_calibration(settings)
    # SIGTERM/SIGHUP stop the render before its next frame: the temp files go, one line says so
    with stop_on_signals() as stop:
        report = render_offline(job, settings, audio=_audio(settings),
                                progress=not args.no_progress, stop=stop)
    print(report.summary())
    return 0


def _render_replay(args: argparse.Namespace, settings: Settings) -> int:
    from performance.recording.format import read_recording
    from performance.runtime.recorded import render_replay
    from performance.runtime.signals import stop_on_signals

    refuse_show_options_with_replay(args)
    recording = read_recording(args.replay)
    check_projector_calibration(settings)
    size = parse_size(args.size) if args.size != DEFAULT_SIZE_TEXT else None
    with stop_on_signals() as stop:
        done = render_replay(recording, args.out, settings, size=size,
                             contact_frames=args.contact_frames, audio=_audio(settings),
                             progress=not args.no_progress, stop=stop)
    print(done.report.summary())
    print(f"replayed {len(done.states)} frames of {recording.path}")
    return 0


def _audio(settings: Settings) -> SynthTrack | None:
    """The synth's track for the MP4 (AAC), unless sound is off."""
    if not settings.sound:
        return None
    from performance.audio.engine import SynthTrack
    from performance.audio.synth import Synth

    return SynthTrack(Synth())
