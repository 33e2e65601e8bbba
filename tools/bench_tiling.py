"""Crowd tiling's cost: untiled, the adaptive default and `auto`, timed in one run.

Stills (one large face, the six-person gallery frame, an empty landscape) are detected nine
times by each mode, interleaved so no mode always runs first, and the medians printed with
their ratios, passes and landmark runs; then three streams in VIDEO mode (a one-face clip, a
clip with nobody, the gallery frame held 20 frames), untiled against adaptive, with how many
frames adaptive tiled.

Usage: .venv/bin/python tools/bench_tiling.py   (the face model from $ESSENCE_FACE_MODEL)
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from performance.config import DEFAULTS
from performance.core.clock import work_seconds
from performance.core.types import Frame
from performance.perception.landmarker import FaceLandmarkerAdapter
from performance.perception.model import resolve_model_path
from performance.perception.tiling import TilingSettings

ROOT = Path(__file__).resolve().parents[1]
MEDIA = ROOT / ".cache" / "testdata"
sys.path.insert(0, str(ROOT))  # the gallery frame is composed as the perception tests do
from tests.integration.test_perception import (  # noqa: E402
    gallery_frame,
    gallery_photos,
    read_rgb,
    still,
)


def main() -> int:
    face_model = resolve_model_path(os.environ.get("ESSENCE_FACE_MODEL") or None)
    testdata = MEDIA
    with FaceLandmarkerAdapter(face_model, mode="image") as plain, \
            FaceLandmarkerAdapter(face_model, mode="image", tiling=TilingSettings()) as tiled, \
            FaceLandmarkerAdapter(face_model, mode="image",
                                  tiling=TilingSettings.parse(DEFAULTS.tiles)) as default:
        run(face_model, plain, tiled, default, testdata)
    return 0


def run(face_model: Path, plain: FaceLandmarkerAdapter, tiled: FaceLandmarkerAdapter,
        default: FaceLandmarkerAdapter, testdata: Path) -> None:
    crowd, _ = gallery_frame(plain, gallery_photos(testdata))
    stills = {"one large face, 572x562 still": read_rgb(testdata / "single_face.jpg"),
              "six gallery faces, 1920x1080 still": crowd,
              "nobody, 1920x1080 still": read_rgb(testdata / "free-mountain-vector-01.jpg")}
    modes = {"untiled": plain, "adaptive": default, "auto": tiled}
    report = []
    for name, image in stills.items():
        times: dict[str, list[float]] = {mode: [] for mode in modes}
        found = {}
        order = list(modes.items())
        for rep in range(9):  # each mode first, second and last in turn (caches)
            for mode, lm in order[rep % 3:] + order[:rep % 3]:
                start = work_seconds()
                found[mode] = len(lm.detect(still(image)).faces)
                times[mode].append(work_seconds() - start)
        ms = {mode: 1000 * float(np.median(t)) for mode, t in times.items()}
        report.append(
            f"{name}: " + ", ".join(f"{m} {v:.1f} ms ({found[m]} faces)" for m, v in ms.items())
            + f"; adaptive/untiled {ms['adaptive'] / ms['untiled']:.2f},"
            f" adaptive/auto {ms['adaptive'] / ms['auto']:.2f}; adaptive"
            f" {default.passes_last_frame} passes, {default.landmarks_last_frame} landmark runs"
            f" (auto {tiled.passes_last_frame}, {tiled.landmarks_last_frame})")
    def clip_frames(name: str) -> Iterator[np.ndarray]:
        if name == "crowd":  # the six gallery faces, held for 20 frames
            yield from [crowd] * 20
            return
        capture = cv2.VideoCapture(str(testdata / name))
        while True:
            ok, bgr = capture.read()
            if not ok:
                break
            yield cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        capture.release()

    for clip in ("single_face.mp4", "no_face.mp4", "crowd"):
        per_frame, tiled_frames = {}, 0
        for mode, tiling in (("untiled", None), ("adaptive", default.tiling)):
            with FaceLandmarkerAdapter(face_model, mode="video", tiling=tiling) as lm:
                spent, frames = 0.0, 0
                for image in clip_frames(clip):
                    frame = Frame(image=image, timestamp=frames / 30, index=frames, source="v")
                    start = work_seconds()
                    lm.detect(frame)
                    spent += work_seconds() - start
                    frames += 1
                per_frame[mode], tiled_frames = 1000 * spent / frames, lm.tiled_frames
        report.append(f"{clip}, VIDEO mode: untiled {per_frame['untiled']:.1f} ms/frame,"
                      f" adaptive {per_frame['adaptive']:.1f} ms/frame (ratio"
                      f" {per_frame['adaptive'] / per_frame['untiled']:.2f}; tiled"
                      f" {tiled_frames} of {frames} frames)")
    print("\n" + "\n".join(report))


if __name__ == "__main__":
    raise SystemExit(main())
