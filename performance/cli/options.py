"""Options and value parsers that several subcommands share (one definition each)."""

from __future__ import annotations

import argparse
from pathlib import Path

from performance.config import DEFAULTS, STAGE_SIDE_LIMITS, STAGE_SIZE, Reader, Settings
from performance.core.errors import ConfigError, InputError

DEFAULT_SIZE_TEXT = f"{STAGE_SIZE[0]}x{STAGE_SIZE[1]}"


def parse_size(text: str) -> tuple[int, int]:
    """`WxH` -> (W, H); ConfigError naming the option for anything else."""
    low, high = STAGE_SIDE_LIMITS
    width, sep, height = text.strip().lower().partition("x")
    if sep and width.isdigit() and height.isdigit():
        w, h = int(width), int(height)
        if low <= w <= high and low <= h <= high:
            return (w, h)
    raise ConfigError(f"--size: expected WIDTHxHEIGHT between {low} and {high}, such as "
                      f"{DEFAULT_SIZE_TEXT}, got {text!r}")


def add_calibration_option(parser: argparse.ArgumentParser) -> None:
    """`--calibration FILE`: the projector mapping (overrides the projector_calibration
    setting; docs/venue.md)."""
    parser.add_argument("--calibration", dest="projector_calibration", metavar="FILE",
                        help="projector mapping from `essence calibrate projector` (else the "
                             "projector_calibration setting; default none)")


def check_projector_calibration(settings: Settings) -> None:
    """Load the projector mapping the settings name, before a show starts: a bad file is one
    line naming the file and key (CalibrationError), never a show that starts unmapped."""
    if settings.projector_calibration:
        from pathlib import Path

        from performance.venue.projector import load_projector

        load_projector(Path(settings.projector_calibration))


def add_face_model_option(parser: argparse.ArgumentParser) -> None:
    """`--face-model FILE`: the face model to use or check (overrides the face_model setting)."""
    parser.add_argument("--face-model", help="face_landmarker.task (else $ESSENCE_FACE_MODEL)")


def add_expression_model_option(parser: argparse.ArgumentParser) -> None:
    """`--expression-model FILE`: the expression network (overrides the setting)."""
    parser.add_argument("--expression-model", metavar="FILE",
                        help="emotion_model_quantized.tflite (else $ESSENCE_EXPRESSION_MODEL)")


def add_perception_options(parser: argparse.ArgumentParser) -> None:
    """Options every command that runs the face model shares."""
    add_face_model_option(parser)
    add_expression_model_option(parser)
    parser.add_argument("--reader", choices=[r.value for r in Reader],
                        help=f"what reads the faces' emotion (default {DEFAULTS.reader})")
    parser.add_argument("--max-faces", type=int,
                        help=f"most faces per frame (default {DEFAULTS.max_faces})")
    parser.add_argument(
        "--tiles", help="crowd detection on overlapping tiles: adaptive (default), off, auto "
                        "or CxR (e.g. 3x2)"
    )
    parser.add_argument("--camera-calibration", metavar="FILE",
                        help="camera turn, crop and zones from `essence calibrate camera` "
                             "(else the camera_calibration setting; default none)")


def add_show_options(parser: argparse.ArgumentParser, *, size_help: str) -> None:
    """What show plays and how it looks, for run, rehearse and render."""
    parser.add_argument("--size", default=DEFAULT_SIZE_TEXT, metavar="WxH",
                        help=f"{size_help} (default {DEFAULT_SIZE_TEXT})")
    parser.add_argument("--visual", metavar="NAME",
                        help="hold one visual instead of the autopilot's programme")
    parser.add_argument("--cues", metavar="FILE",
                        help="show file (cue list) to run; default: the autopilot")
    parser.add_argument("--no-sound", dest="sound", action="store_const", const=False,
                        default=None, help="no generated sound")


def refuse_show_options_with_replay(args: argparse.Namespace) -> None:
    """A replay plays the recording's own show: `--cues` or `--visual` given with `--replay`
    is an error, not an option silently ignored."""
    for option, value in (("--cues", args.cues), ("--visual", args.visual)):
        if value is not None:
            raise InputError(option, "a replay plays the show it recorded (its cues and "
                                     "visual); leave this option out with --replay")


def add_source_argument(parser: argparse.ArgumentParser, *, help: str) -> None:
    """The optional SOURCE (`args.source`, default camera "0") of a command that reads a
    camera, a video or an image."""
    parser.add_argument("source", nargs="?", default="0", metavar="SOURCE", help=help)


def add_out_option(parser: argparse.ArgumentParser, *, help: str, metavar: str = "FILE",
                   default: Path | None = None) -> None:
    """`--out FILE`: where the command writes (`args.out`, a Path; `default` when absent)."""
    parser.add_argument("--out", type=Path, default=default, metavar=metavar, help=help)


def add_tool_file_options(parser: argparse.ArgumentParser, *, what: str,
                          default_out: Path | str) -> None:
    """A calibration tool's files: `--calibration EXISTING` (`args.existing`: the `what` it
    starts from) and `--out FILE` (`args.out`: where S saves; None for EXISTING's file, else
    `default_out`, which the tool applies)."""
    parser.add_argument("--calibration", dest="existing", type=Path, metavar="EXISTING",
                        help=f"start from this {what}")
    add_out_option(parser, help=f"where S saves (default: --calibration's file, else "
                                f"{default_out})")


def add_size_option(parser: argparse.ArgumentParser, *, help: str,
                    default: str | None = None) -> None:
    """`--size WxH` (`args.size`, text for `parse_size`; `default` when absent)."""
    parser.add_argument("--size", default=default, metavar="WxH", help=help)


def add_loop_option(parser: argparse.ArgumentParser, *, what: str = "a video source") -> None:
    """`--loop`: play a video source again from the start when it ends (`args.loop`)."""
    parser.add_argument("--loop", action="store_true", help=f"loop {what}")
