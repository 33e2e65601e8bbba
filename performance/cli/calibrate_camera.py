"""`essence calibrate camera`: the camera calibration tool (turn, crop, ignore zones, the
performer zone) in an operator window. Only parses options; the loop is in
performance/runtime/camera_setup.py and the editing logic in performance/venue/zones_editor.py."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from performance.cli.options import (
    add_face_model_option,
    add_size_option,
    add_source_argument,
    add_tool_file_options,
    parse_size,
)
from performance.config import Settings

DEFAULT_OUT = Path("calibration") / "camera.toml"


def register(sub: argparse._SubParsersAction) -> None:
    """Add `camera` to `essence calibrate`."""
    tool = sub.add_parser(
        "camera", help="turn and crop the camera, draw ignore zones and the performer zone",
        description="Shows the camera (or a video) with the faces found, the crop and the "
                    "zones. M mirror, F flip, R rotate; click adds a point, Enter closes a "
                    "zone, Backspace removes the last point or zone; P switches to the "
                    "performer zone; C crop (two clicks); S saves; Esc quits. Nothing but "
                    "the calibration file is written (docs/venue.md).")
    add_source_argument(tool, help="camera index or name, or a video/image (default 0; the "
                                   "calibration's device when it names one)")
    add_tool_file_options(tool, what="camera calibration", default_out=DEFAULT_OUT)
    add_size_option(tool, default="960x720", help="the tool's window (default 960x720)")
    tool.add_argument("--width", type=int, default=0, help="resolution to ask the camera for")
    tool.add_argument("--height", type=int, default=0, help="(saved in the file)")
    tool.add_argument("--fps", type=float, default=0.0, help="frame rate to ask the camera for")
    add_face_model_option(tool)
    tool.set_defaults(handler=_calibrate_camera)


def _calibrate_camera(args: argparse.Namespace, settings: Settings) -> int:
    from performance.core.files import check_writable
    from performance.runtime.camera_setup import CameraSetupOptions, raw, run_camera_setup
    from performance.runtime.pipeline import landmarker_factory
    from performance.sources.factory import DEFAULT_CAMERA, looks_like_path, open_source
    from performance.venue.camera import CameraCalibration, load_camera

    canvas = parse_size(args.size)
    cal = load_camera(args.existing) if args.existing is not None else CameraCalibration()
    spec = str(args.source)
    if not looks_like_path(spec) and not (spec.strip() == DEFAULT_CAMERA and cal.device):
        cal = replace(cal, device=spec.strip())  # the camera named here is the file's
    changes = {k: v for k, v in (("width", args.width), ("height", args.height),
                                 ("fps", args.fps)) if v}
    cal = replace(cal, **changes)
    out = args.out or args.existing or DEFAULT_OUT
    check_writable(Path(out), example="hall-camera.toml")  # before the camera, not at S
    make_detector = landmarker_factory(replace(settings, camera_calibration=""), "video")
    with open_source(spec, loop=True, camera=raw(cal)) as source:
        detector = make_detector()
        try:
            result = run_camera_setup(CameraSetupOptions(cal, out, canvas), source, detector)
        finally:
            detector.close()
    if result.unsaved:
        print(f"essence: quit without saving the last changes ({out} is as it was)")
    return 0
