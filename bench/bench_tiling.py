"""Crowd tiling's cost: untiled, the adaptive default, `auto` and 2x2, timed in one run.

Stills (one large face, the five-person group photo, the six-face gallery frame, the same six
faces large enough for the untiled pass, an empty landscape) are detected nine times by each
mode, interleaved so no mode always runs first; the medians are printed with the faces found,
model passes and landmark runs. Then the cost per face: each tiling mode's cost per face
found on the gallery frame and on the group photo against the untiled cost per face of the
six large faces, timed back to back, as a ratio (the goal: at most 1.3), with landmark runs
per face found (1.00: each face landmarked once). Last, three streams in VIDEO mode, untiled
and adaptive frame by frame in turn: a one-face clip, a clip with nobody, and the gallery
frame held 30 frames against the six large faces held (untiled), per face found.

Usage: .venv/bin/python bench/bench_tiling.py   (the face model from $ESSENCE_FACE_MODEL)
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import cv2
import numpy as np
from report import Figure, publish

from performance.config import DEFAULTS
from performance.core.clock import work_seconds
from performance.core.types import Frame
from performance.perception.landmarker import FaceLandmarkerAdapter
from performance.perception.model import resolve_model_path
from performance.perception.tiling import TilingSettings

FIGURES: list[Figure] = []  # the JSON figures, published after the report
ROOT = Path(__file__).resolve().parents[1]
MEDIA = ROOT / ".cache" / "testdata"
sys.path.insert(0, str(ROOT))  # the gallery frame is composed as the perception tests do
from tests.integration.test_perception import (  # noqa: E402
    face_crop,
    gallery_frame,
    gallery_photos,
    read_rgb,
    still,
)

GOAL = 1.3
"""Tiled cost per face found, at most this many times the untiled cost per face."""
REPS = 9


def near_frame(lm: FaceLandmarkerAdapter, photos: list[np.ndarray]) -> np.ndarray:
    """The gallery's six faces at 17 % of a 1920x1080 frame's width, 3x2: the untiled pass
    finds them all, so this is what six faces cost untiled."""
    width, height = 1920, 1080
    noise = np.random.default_rng(0).integers(40, 140, (height, width, 3)).astype(np.uint8)
    canvas = cv2.GaussianBlur(noise, (0, 0), 25)
    for k, photo in enumerate(photos):
        crop, (fx0, _, fx1, _) = face_crop(lm, photo)
        scale = 0.17 * width / (fx1 - fx0)
        cw = min(int(crop.shape[1] * scale), width // 3 - 4)
        ch = min(int(crop.shape[0] * scale), height // 2 - 4)
        small = cv2.resize(crop, (cw, ch), interpolation=cv2.INTER_AREA)
        px = (k % 3) * width // 3 + (width // 3 - cw) // 2
        py = (k // 3) * height // 2 + (height // 2 - ch) // 2
        canvas[py:py + ch, px:px + cw] = small
    return canvas


def main() -> int:
    face_model = resolve_model_path(os.environ.get("ESSENCE_FACE_MODEL") or None)
    tilings = {"untiled": None, "adaptive": TilingSettings.parse(DEFAULTS.tiles),
               "auto": TilingSettings(), "2x2": TilingSettings(grid=(2, 2))}
    with ExitStack() as stack:
        modes = {name: stack.enter_context(FaceLandmarkerAdapter(face_model, mode="image",
                                                                 tiling=tiling))
                 for name, tiling in tilings.items()}
        report = run_stills(modes, MEDIA)
        photos = gallery_photos(MEDIA)
        crowd = gallery_frame(modes["untiled"], photos)[0]
        near = near_frame(modes["untiled"], photos)
    report += run_streams(face_model, tilings["adaptive"], MEDIA, crowd, near)
    report += detector_passes(face_model, [crowd, read_rgb(MEDIA / "multi_face.jpg")])
    print("\n" + "\n".join(report) + "\n")
    publish("Crowd tiling: cost per face found, tiled vs untiled", FIGURES)
    return 0


def run_stills(modes: dict[str, FaceLandmarkerAdapter], testdata: Path) -> list[str]:
    plain = modes["untiled"]
    photos = gallery_photos(testdata)
    stills = {"one large face, 572x562 still": read_rgb(testdata / "single_face.jpg"),
              "five-person group photo, 1000x667": read_rgb(testdata / "multi_face.jpg"),
              "six gallery faces, 1920x1080 still": gallery_frame(plain, photos)[0],
              "six large faces, 1920x1080 still": near_frame(plain, photos),
              "nobody, 1920x1080 still": read_rgb(testdata / "free-mountain-vector-01.jpg")}
    report, ms = [], {}
    order = list(modes.items())
    for name, image in stills.items():
        times: dict[str, list[float]] = {mode: [] for mode in modes}
        cost: dict[str, tuple[int, int, int]] = {}
        for rep in range(REPS):  # each mode first, second, ... and last in turn (caches)
            turn = rep % len(order)
            for mode, lm in order[turn:] + order[:turn]:
                start = work_seconds()
                faces = len(lm.detect(still(image)).faces)
                times[mode].append(work_seconds() - start)
                cost[mode] = (faces, lm.passes_last_frame, lm.landmarks_last_frame)
        ms[name] = {mode: 1000 * float(np.median(t)) for mode, t in times.items()}
        report.append(f"{name}: " + "; ".join(
            f"{m} {ms[name][m]:.1f} ms ({f} faces, {p} passes, {r} landmark runs)"
            for m, (f, p, r) in cost.items()))
    report += cost_per_face(modes, stills)
    return report


def cost_per_face(modes: dict[str, FaceLandmarkerAdapter], stills: dict[str, np.ndarray]
                  ) -> list[str]:
    """Each tiling mode's cost per face found on the gallery frame and the group photo against
    the untiled cost per face of the six large faces, timed back to back in each round (so
    load from other work on the machine falls on both sides of each ratio); the median ratio
    of REPS rounds and their range."""
    near = still(stills["six large faces, 1920x1080 still"])
    crowds = {name: still(stills[name]) for name in ("six gallery faces, 1920x1080 still",
                                                     "five-person group photo, 1000x667")}
    tiled = [(mode, name) for mode in modes if mode != "untiled" for name in crowds]
    ratios: dict[tuple[str, str], list[float]] = {key: [] for key in tiled}
    costs: dict[tuple[str, str], list[float]] = {key: [] for key in tiled}
    per_face: list[float] = []
    found: dict[tuple[str, str], tuple[int, int]] = {}
    for rep in range(2 * REPS):
        for mode, name in tiled[rep % len(tiled):] + tiled[:rep % len(tiled)]:
            start = work_seconds()
            untiled = len(modes["untiled"].detect(near).faces)
            plain = (work_seconds() - start) / untiled
            start = work_seconds()
            faces = len(modes[mode].detect(crowds[name]).faces)
            cost = (work_seconds() - start) / max(1, faces)
            ratios[(mode, name)].append(cost / plain)
            costs[(mode, name)].append(cost)
            per_face.append(plain)
            found[(mode, name)] = (faces, modes[mode].landmarks_last_frame)
    report = [f"untiled cost per face: {1000 * float(np.median(per_face)):.1f} ms (the six"
              f" large faces, all found untiled)"]
    for (mode, name), r in ratios.items():
        faces, runs = found[(mode, name)]
        report.append(
            f"  {name}, {mode}: x{float(np.median(r)):.2f} untiled per face"
            f" (range {min(r):.2f}-{max(r):.2f}; goal <= {GOAL}), {faces} found,"
            f" {runs / max(1, faces):.2f} landmark runs per face")
        if mode == "adaptive":
            FIGURES.append(Figure(
                f"tiled cost per face found, {name}, {mode}",
                1000 * float(np.median(costs[(mode, name)])), 1000 * float(np.median(per_face)),
                goal=GOAL, note=f"{faces} found, {runs / max(1, faces):.2f} landmark runs per "
                                f"face; bare: the untiled cost per face of six large faces"))
    return report


def clip_frames(testdata: Path, name: str, held: np.ndarray) -> Iterator[np.ndarray]:
    if name in ("crowd", "near"):  # a still held for 30 frames
        yield from [held] * 30
        return
    capture = cv2.VideoCapture(str(testdata / name))
    while True:
        ok, bgr = capture.read()
        if not ok:
            break
        yield cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    capture.release()


def run_streams(face_model: Path, tiling: TilingSettings | None, testdata: Path,
                crowd: np.ndarray, near: np.ndarray) -> list[str]:
    """Untiled and adaptive, frame by frame in turn; the crowd (the gallery held) against the
    six large faces held, untiled, per face."""
    report = []
    for clip, reference in (("single_face.mp4", "single_face.mp4"),
                            ("no_face.mp4", "no_face.mp4"), ("crowd", "near")):
        spent = {"untiled": 0.0, "adaptive": 0.0}
        faces = {"untiled": 0, "adaptive": 0}
        runs = frames = 0
        with FaceLandmarkerAdapter(face_model, mode="video") as plain, \
                FaceLandmarkerAdapter(face_model, mode="video", tiling=tiling) as adaptive:
            streams = zip(clip_frames(testdata, reference, near),
                          clip_frames(testdata, clip, crowd), strict=True)
            for frames, (plain_image, image) in enumerate(streams):
                turns = [("untiled", plain, plain_image), ("adaptive", adaptive, image)]
                for mode, lm, picture in turns[frames % 2:] + turns[:frames % 2]:
                    frame = Frame(image=picture, timestamp=frames / 30, index=frames,
                                  source="v")
                    start = work_seconds()
                    faces[mode] += len(lm.detect(frame).faces)
                    spent[mode] += work_seconds() - start
                runs += adaptive.landmarks_last_frame
            frames += 1
            tiled_frames = adaptive.tiled_frames
        ms = {mode: 1000 * spent[mode] / frames for mode in spent}
        line = (f"{clip}, VIDEO mode: untiled{' (six large faces)' if clip == 'crowd' else ''}"
                f" {ms['untiled']:.1f} ms/frame, adaptive {ms['adaptive']:.1f} ms/frame"
                f" (ratio {ms['adaptive'] / ms['untiled']:.2f}; tiled {tiled_frames} of"
                f" {frames} frames)")
        if clip == "crowd":
            plain_face = spent["untiled"] / max(1, faces["untiled"]) * 1000
            tiled_face = spent["adaptive"] / max(1, faces["adaptive"]) * 1000
            line += (f"; per face found: untiled {plain_face:.1f} ms, adaptive"
                     f" {tiled_face:.1f} ms, x{tiled_face / plain_face:.2f} (goal <= {GOAL});"
                     f" {runs / max(1, faces['adaptive']):.2f} landmark runs per face")
            FIGURES.append(Figure(
                "tiled cost per face found, a crowd stream (VIDEO mode), adaptive", tiled_face,
                plain_face, goal=GOAL, note=f"{runs / max(1, faces['adaptive']):.2f} landmark "
                                            f"runs per face; tiled {tiled_frames} of {frames}"))
        report.append(line)
    return report


def detector_passes(face_model: Path, images: list[np.ndarray]) -> list[str]:
    """One detector pass on a tile: the rig's (the bundle's detector through LiteRT,
    `perception/detector.py`) against MediaPipe's own face detector graph with the same model,
    in turn on the 3x2 tiles of the gallery frame and the group photo."""
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    from performance.perception.detector import FaceBoxes
    from performance.perception.tile_pass import detector_model
    from performance.perception.tiling import adaptive_tiles

    model = detector_model(face_model.read_bytes(), face_model)
    ours = FaceBoxes(model, face_model)
    graph = vision.FaceDetector.create_from_options(vision.FaceDetectorOptions(
        base_options=BaseOptions(model_asset_buffer=model),
        running_mode=vision.RunningMode.IMAGE, min_detection_confidence=0.5))
    crops = [tile.crop(image) for image in images
             for tile in adaptive_tiles(image.shape[1], image.shape[0], TilingSettings())]
    spent = {"litert": [], "graph": []}  # type: dict[str, list[float]]
    with graph:
        for rep in range(REPS * 4):
            for crop in crops:
                turns = [("litert", lambda c=crop: ours.boxes(c)),
                         ("graph", lambda c=crop: graph.detect(
                             mp.Image(image_format=mp.ImageFormat.SRGB, data=c)))]
                for name, run in turns[rep % 2:] + turns[:rep % 2]:
                    start = work_seconds()
                    run()
                    spent[name].append(work_seconds() - start)
    ms = {name: 1000 * float(np.median(t)) for name, t in spent.items()}
    FIGURES.append(Figure("a detector pass on a tile (LiteRT, detector.py)", ms["litert"],
                          ms["graph"], note="bare: MediaPipe's face detector graph, same model"))
    return [f"a detector pass on a tile: {ms['litert']:.2f} ms through LiteRT, "
            f"{ms['graph']:.2f} ms through MediaPipe's graph"
            f" (x{ms['litert'] / ms['graph']:.2f}; {len(crops)} tiles)"]


if __name__ == "__main__":
    raise SystemExit(main())
