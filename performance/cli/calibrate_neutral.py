"""`essence calibrate neutral`: a few seconds of the performer's resting face become the
explicit baseline the emotion layer subtracts — the file `essence baseline` writes (the same
format, read back with `--baseline FILE` or the `baseline` setting), taken live from a
camera (or a clip) instead of from files. Only the mean features are written: no image."""

from __future__ import annotations

import argparse
from pathlib import Path

from performance.cli.options import add_out_option, add_perception_options, add_source_argument
from performance.config import NEUTRAL_SECONDS, Settings
from performance.core.errors import ConfigError

DEFAULT_OUT = Path("calibration") / "neutral.toml"


def register(sub: argparse._SubParsersAction) -> None:
    """Add `neutral` to `essence calibrate`."""
    tool = sub.add_parser(
        "neutral", help="the performer's resting face (a few seconds) as the baseline",
        description="Reads the largest face (the performer zone's, when the camera "
                    "calibration has one) for --seconds and writes its mean resting features "
                    "as a baseline file, as `essence baseline` does from files. Use it with "
                    "--baseline FILE or the baseline setting.")
    add_source_argument(tool, help="camera index or name, or a clip (default 0)")
    tool.add_argument("--seconds", type=float, default=NEUTRAL_SECONDS,
                      help=f"how long to read the resting face (default {NEUTRAL_SECONDS:g})")
    add_out_option(tool, default=DEFAULT_OUT,
                   help=f"baseline TOML to write (default {DEFAULT_OUT})")
    add_perception_options(tool)
    tool.set_defaults(handler=_calibrate_neutral)


def _calibrate_neutral(args: argparse.Namespace, settings: Settings) -> int:
    import numpy as np

    from performance.core.files import check_writable
    from performance.core.types import FaceRole
    from performance.emotion.baseline import save_baseline
    from performance.emotion.mapping import EmotionMapping
    from performance.runtime.pipeline import camera_from_settings, landmarker_factory
    from performance.sources.factory import open_source

    if not 0.5 <= args.seconds <= 120:
        raise ConfigError(f"--seconds: expected 0.5 to 120, got {args.seconds:g}")
    check_writable(args.out, option="--out", example="performer.toml")  # before the camera
    mapping = EmotionMapping.load()
    make_detector = landmarker_factory(settings, "video")
    camera = camera_from_settings(settings)
    performer_zone = camera is not None and camera.performer_zone is not None
    vectors: list[np.ndarray] = []
    print(f"essence: reading the resting face for {args.seconds:g} s: look at the camera, "
          "face relaxed")
    with open_source(args.source, camera=camera) as source:
        detector = make_detector()
        try:
            for frame in source:
                if frame.media_time > args.seconds:
                    break
                faces = detector.detect(frame).faces
                if performer_zone:
                    faces = tuple(f for f in faces if f.role is FaceRole.PERFORMER)
                if faces:
                    face = max(faces, key=lambda f: f.size)
                    vectors.append(mapping.features(face.blendshapes))
        finally:
            detector.close()
    if not vectors:
        raise ConfigError(f"{args.source}: no face found in {args.seconds:g} s, so no "
                          "baseline was written")
    save_baseline(args.out, mapping.feature_names, np.mean(vectors, axis=0))
    print(f"wrote {args.out} (mean of {len(vectors)} readings); use it with --baseline "
          f"{args.out}")
    return 0
