"""The `essence report` subcommand: a rehearsal report (one self-contained HTML page) from a
recording or a video. Only parses options; the work is in performance/report/."""

from __future__ import annotations

import argparse
from pathlib import Path

from performance.cli.options import add_perception_options, parse_size
from performance.config import CONTACT_FRAMES, REPORT_FPS, REPORT_SIZE, Settings
from performance.core.errors import InputError, Interrupted


def register(sub: argparse._SubParsersAction) -> None:
    """Add `report` to the `essence` parser."""
    report = sub.add_parser(
        "report",
        help="a rehearsal report (self-contained HTML) from a recording or a video",
        description="Plots over time of the faces in view, valence, arousal, chaos and the "
                    "emotion shares with the act and cue markers (and what fired each cue), "
                    "a contact sheet of the rendered visuals and the frame-time and "
                    "perception figures, in one HTML file that needs no network. From a "
                    "video, the faces are read and the show rendered offline first.",
    )
    report.add_argument("input", metavar="FILE|VIDEO",
                        help="a recording (essence record, .jsonl) or a video of an audience")
    report.add_argument("--out", required=True, type=Path, metavar="REPORT.html",
                        help="the HTML page to write")
    size = f"{REPORT_SIZE[0]}x{REPORT_SIZE[1]}"
    report.add_argument("--size", default=size, metavar="WxH",
                        help=f"size of the visuals rendered for the contact sheet "
                             f"(default {size})")
    report.add_argument("--fps", type=float, default=REPORT_FPS,
                        help=f"a video's show frames per second (default {REPORT_FPS:g})")
    report.add_argument("--contact-frames", type=int, default=CONTACT_FRAMES, metavar="N",
                        help=f"frames on the contact sheet (0: none, and a recording is not "
                             f"rendered at all; default {CONTACT_FRAMES})")
    report.add_argument("--cues", metavar="FILE",
                        help="a video's show file (cue list); default: the autopilot (a "
                             "recording replays the show file it recorded)")
    report.add_argument("--auto-go", dest="render_auto_go", type=float, metavar="S",
                        help="with --cues: press GO after the show waited S seconds")
    add_perception_options(report)
    report.add_argument("--no-progress", action="store_true", help="no progress bar")
    report.set_defaults(handler=_report)


def _report(args: argparse.Namespace, settings: Settings) -> int:
    from performance.core.files import check_writable, kept_note
    from performance.report.build import ReportOptions, build_timeline
    from performance.report.page import write_page
    from performance.runtime.signals import stop_on_signals

    if args.contact_frames < 0:
        raise InputError("--contact-frames", f"must be 0 or more, got {args.contact_frames}")
    if args.out.suffix.lower() not in (".html", ".htm"):
        raise InputError(args.out, "--out must be an .html file")
    check_writable(args.out, example="report.html")
    if args.cues:  # a broken show file is its own error (file:line), never ignored
        from performance.runtime.assemble import load_show

        load_show(Path(args.cues).expanduser())
    with stop_on_signals() as stop:
        options = ReportOptions(size=parse_size(args.size), fps=args.fps,
                                contact_frames=args.contact_frames,
                                progress=not args.no_progress, stop=stop)
        try:
            timeline = build_timeline(args.input, settings, options)
        except Interrupted as exc:  # it named the render's temp file: name the report
            raise Interrupted.on_request(args.out, "report", stop,
                                         f" ({exc.reason.split(';')[0]}); "
                                         f"{kept_note(args.out)}") from exc
    write_page(timeline, args.out)
    print(f"wrote {args.out} ({len(timeline.times)} show frames, {timeline.duration:.1f} s, "
          f"at most {timeline.max_faces} faces, {len(timeline.cues)} cues)")
    return 0
