"""The `essence render` subcommand: the show rendered offline to an MP4 and a contact sheet.

Only parses options; the work is in performance/runtime/offline.py (imported when run, so
`essence --help` stays instant).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from performance.cli.analyze import add_perception_options
from performance.cli.run import parse_size
from performance.config import Settings
from performance.core.errors import InputError

DEFAULT_SIZE = "1280x720"


def register(sub: Any) -> None:
    """Add `render` to the `essence` parser."""
    render = sub.add_parser(
        "render",
        help="render the show offline to an H.264 MP4 plus a contact sheet PNG",
        description="Render the show frame by frame on the media clock (deterministic: the "
                    "same input gives the same file). Writes FILE.mp4 and FILE.contact.png.",
    )
    render.add_argument("--input", required=True, metavar="VIDEO|IMAGE|scripted",
                        help="a video file, an image, or 'scripted' (the built-in audience)")
    render.add_argument("--out", required=True, type=Path, metavar="FILE.mp4",
                        help="the video to write (its contact sheet goes beside it)")
    render.add_argument("--seconds", type=float,
                        help="length (default: the video's duration; 30 s otherwise)")
    render.add_argument("--size", default=DEFAULT_SIZE, metavar="WxH",
                        help=f"picture size, even numbers (default {DEFAULT_SIZE})")
    render.add_argument("--fps", type=float, default=30.0, help="frames per second (default 30)")
    render.add_argument("--visual", metavar="NAME", help="the visual the show starts with")
    render.add_argument("--contact-frames", type=int, default=12, metavar="N",
                        help="frames on the contact sheet (0: no sheet; default 12)")
    render.add_argument("--scripted-faces", type=int, default=3, metavar="N",
                        help="faces in the scripted audience (default 3)")
    render.add_argument("--cues", metavar="FILE", help="show file (cue list); default: autopilot")
    render.add_argument("--auto-go", type=float, default=6.0, metavar="S",
                        help="with --cues: press GO after the show waited S seconds (default 6)")
    render.add_argument("--no-sound", dest="sound", action="store_const", const=False,
                        default=None, help="no audio track")
    add_perception_options(render)
    render.add_argument("--no-progress", action="store_true", help="no progress bar")
    render.set_defaults(handler=_render)


def _render(args: argparse.Namespace, settings: Settings) -> int:
    from performance.runtime.offline import RenderJob, render_offline

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
    )
    report = render_offline(job, settings, show_factory=_show_factory(args, settings),
                            audio=_audio(settings), progress=not args.no_progress)
    print(report.summary())
    return 0


def _show_factory(args: argparse.Namespace, settings: Settings) -> Any:
    """The cue list's sequencer when --cues is given (None: the offline autopilot)."""
    if not settings.cues:
        return None
    from performance.core.errors import ConfigError

    if args.visual is not None:
        raise ConfigError("--visual and --cues exclude each other: the cue list picks visuals")
    from performance.runtime.services import build_show

    return lambda visuals: build_show(settings, visual=None, visuals=list(visuals))


def _audio(settings: Settings) -> Any:
    """The synth's track for the MP4 (AAC), unless sound is off."""
    if not settings.sound:
        return None
    from performance.audio.engine import SynthTrack
    from performance.audio.synth import Synth

    return SynthTrack(Synth())
