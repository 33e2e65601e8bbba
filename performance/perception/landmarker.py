"""The MediaPipe adapter: the only module in the rig that imports `mediapipe`.

Owns turning a `Frame` into `Observations` with MediaPipe's Face Landmarker (Tasks API):
boxes from the 478 landmarks' extent (normalised to the full frame), the 52 blendshapes by
MediaPipe name, and yaw/pitch/roll in degrees from the facial transformation matrix.

* Streams use VIDEO mode (tracking between frames) with strictly increasing millisecond
  timestamps from `StrictTimestamps`, fed by `Frame.timestamp`; stills (`Frame.is_still`) and
  `mode="image"` use IMAGE mode.
* Images whose short side is under 200 px (48x48 data-set crops) are upscaled to 192 px
  (bicubic) and padded by 25 % per side first, as the calibration tables were made; boxes are
  mapped back to the original frame.
* With `auto`/`CxR` tiling, an IMAGE-mode pass runs on the full frame and on each overlapping
  tile of the full-resolution frame, and duplicates are merged (see tiling.py).
* With `adaptive` tiling (the `tiles` default) the untiled pass runs as without tiling (VIDEO
  mode for streams), and IMAGE-mode tile passes follow only when small faces are likely: for
  stills when that pass found no face wider than 20 % of the frame, for streams at most once a
  second unless tiles found a crowd (tiling.py has the rule). Faces already found whole are
  blanked out of later tiles, so each face is landmarked about once. `passes_last_frame`,
  `tiled_last_frame`, `landmarks_last_frame` and `tiled_frames` say what a frame cost.

Cost (measured on this project's 2-core CPU machine, XNNPACK): a detector pass costs ~1.5 ms;
each face found costs ~10 ms more (478 landmarks + blendshapes). Plain frames, 640x480 or
1920x1080: ~1.5 ms empty, ~22 ms with 2 faces. Tiled with the default 3x2 grid (7 passes):
~9 ms empty, ~90-140 ms with 5-6 faces at either size, because a face in a tile overlap or
also seen by the full-frame pass is landmarked once per pass that finds it (merged after).
Adaptive: a large face costs what untiled costs (1 pass); six gallery faces ~85-100 ms (7
passes, 8 landmark runs instead of 12; README, *Measured figures*).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

import numpy as np

os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import mediapipe as mp
from mediapipe.tasks.python import BaseOptions, vision

from performance.config import DEFAULTS
from performance.core.clock import StrictTimestamps
from performance.core.closing import Closing
from performance.core.errors import ModelError
from performance.core.types import FaceObservation, Frame, Observations
from performance.perception.expression import ExpressionNetwork
from performance.perception.native import quiet_native_stderr
from performance.perception.tiling import (
    BBox,
    Region,
    TilingSchedule,
    TilingSettings,
    adaptive_tiles,
    bbox_of,
    face_score,
    is_whole,
    make_tiles,
    mask_faces,
    merge_faces,
    same_face,
    small_faces_likely,
    to_frame,
    upscale_and_pad,
)

SMALL_SIDE = 200
"""Images with a shorter side than this are upscaled and padded before detection."""
UPSCALE_TO = 192
PAD = 0.25


def pose_from_matrix(matrix: np.ndarray) -> tuple[float, float, float]:
    """(yaw, pitch, roll) in degrees from a 4x4 facial transformation matrix.

    Decomposes its rotation as R = Rz(roll) @ Ry(yaw) @ Rx(pitch) in MediaPipe's canonical
    face frame (y up, z toward the camera). A frontal face gives about (0, 0, 0); mirroring
    the image negates yaw and roll; rotating the image clockwise makes roll more negative.
    """
    r = np.asarray(matrix, dtype=np.float64)[:3, :3]
    # Remove any scale so the rotation part is orthonormal.
    r = r / np.linalg.norm(r, axis=0, keepdims=True)
    yaw = math.degrees(math.asin(float(np.clip(-r[2, 0], -1.0, 1.0))))
    pitch = math.degrees(math.atan2(r[2, 1], r[2, 2]))
    roll = math.degrees(math.atan2(r[1, 0], r[0, 0]))
    return yaw, pitch, roll


def _as_rgb(image: np.ndarray) -> np.ndarray:
    img = np.asarray(image)
    if img.dtype != np.uint8:
        img = np.clip(img, 0, 255).astype(np.uint8)
    if img.ndim == 2:
        img = np.stack([img] * 3, axis=-1)
    elif img.shape[2] == 4:
        img = img[:, :, :3]
    elif img.shape[2] == 1:
        img = np.repeat(img, 3, axis=2)
    return np.ascontiguousarray(img)


_Face = tuple[np.ndarray, dict[str, float], np.ndarray | None]


class FaceLandmarkerAdapter(Closing):
    """MediaPipe Face Landmarker behind the rig's `Detector` interface (`detect`, `close`).

    Not thread-safe: one thread (the perception worker) calls `detect`.
    """

    def __init__(
        self,
        model_path: Path,
        *,
        max_faces: int = DEFAULTS.max_faces,
        mode: Literal["image", "video"] = "video",
        tiling: TilingSettings | None = None,
        min_detection_confidence: float = 0.5,
        min_presence_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
        upscale_small: bool = True,
        expression: ExpressionNetwork | None = None,
    ) -> None:
        if mode not in ("image", "video"):
            raise ValueError(f"mode must be 'image' or 'video', got {mode!r}")
        self.model_path = Path(model_path)
        if not self.model_path.is_file():
            raise ModelError(f"{self.model_path}: face model does not exist")
        self.max_faces = int(max_faces)
        self.mode = mode
        self.tiling = tiling
        self.upscale_small = upscale_small
        self.expression = expression  # reads each face's crop beside the blendshapes
        self._conf = (min_detection_confidence, min_presence_confidence, min_tracking_confidence)
        self._timestamps = StrictTimestamps()
        self._image: Any = None
        self._video: Any = None
        self.passes_last_frame = 0  # model passes (full frame, tiles) the last frame took
        self.tiled_last_frame = False  # whether the last frame was tiled
        self.landmarks_last_frame = 0  # faces landmarked in all passes, before merging
        self.tiled_frames = 0  # frames tiled so far
        self._schedule = TilingSchedule(tiling) if tiling is not None and tiling.adaptive else None
        if mode == "video" and (tiling is None or tiling.adaptive):
            self._video = self._create(vision.RunningMode.VIDEO)
        else:
            self._image = self._create(vision.RunningMode.IMAGE)

    def _create(self, running_mode: Any) -> Any:
        det, pres, track = self._conf
        options = vision.FaceLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(self.model_path)),
            running_mode=running_mode,
            num_faces=self.max_faces,
            min_face_detection_confidence=det,
            min_face_presence_confidence=pres,
            min_tracking_confidence=track,
            output_face_blendshapes=True,
            output_facial_transformation_matrixes=True,
        )
        try:
            with quiet_native_stderr():
                return vision.FaceLandmarker.create_from_options(options)
        except (RuntimeError, ValueError, OSError) as exc:
            raise ModelError(f"{self.model_path}: MediaPipe could not load it ({exc})") from exc

    def _landmarker(self, video: bool) -> Any:
        if video:
            if self._video is None:
                self._video = self._create(vision.RunningMode.VIDEO)
            return self._video
        if self._image is None:
            self._image = self._create(vision.RunningMode.IMAGE)
        return self._image

    def _run(self, image: np.ndarray, timestamp_ms: int | None) -> list[_Face]:
        mp_image = mp.Image(image_format=mp.ImageFormat.SRGB, data=image)
        if timestamp_ms is None:
            result = self._landmarker(False).detect(mp_image)
        else:
            result = self._landmarker(True).detect_for_video(mp_image, timestamp_ms)
        faces: list[_Face] = []
        for i, landmarks in enumerate(result.face_landmarks):
            pts = np.array([(p.x, p.y) for p in landmarks], dtype=np.float64)
            shapes: dict[str, float] = {}
            if result.face_blendshapes and i < len(result.face_blendshapes):
                shapes = {
                    str(c.category_name): float(c.score) for c in result.face_blendshapes[i]
                }
            matrix = None
            if result.facial_transformation_matrixes and i < len(
                result.facial_transformation_matrixes
            ):
                matrix = np.asarray(result.facial_transformation_matrixes[i])
            faces.append((pts, shapes, matrix))
        return faces

    def _passes(self, img: np.ndarray, frame: Frame,
                found: list[tuple[BBox, float, FaceObservation]]
                ) -> Iterator[tuple[np.ndarray, Region, int | None]]:
        """The model passes over `frame` as (image, its region of the frame, VIDEO-mode
        timestamp or None for IMAGE mode), counted in `passes_last_frame`.

        `found` is the caller's list of candidates, which grows between the passes: the
        adaptive mode reads what the untiled pass found before it decides to tile (see
        tiling.py), and blanks the faces found so far, whole, out of each later tile."""
        height, width = img.shape[:2]
        tiling = self.tiling
        stream = self.mode == "video" and not frame.is_still
        self.passes_last_frame, self.tiled_last_frame = 1, False
        if tiling is not None and not tiling.adaptive:  # `auto` or CxR: every frame, IMAGE mode
            if self.upscale_small and min(height, width) < SMALL_SIDE:
                yield (*upscale_and_pad(img, UPSCALE_TO, PAD), None)
                return
            tiles = make_tiles(width, height, tiling)
            self.passes_last_frame, self.tiled_last_frame = len(tiles), len(tiles) > 1
            self.tiled_frames += len(tiles) > 1
            for tile in tiles:
                yield tile.crop(img), tile.region, None
            return
        ts = self._timestamps.next_ms(frame.timestamp) if stream else None
        if self.upscale_small and min(height, width) < SMALL_SIDE:
            yield (*upscale_and_pad(img, UPSCALE_TO, PAD), ts)
            return
        yield img, (0.0, 0.0, float(width), float(height)), ts
        if tiling is None:
            return
        untiled = [bbox for bbox, _, _ in found]
        widths = [x1 - x0 for x0, _, x1, _ in untiled]
        if self._schedule is not None and stream:
            tile_now = self._schedule.should_tile(frame.timestamp, width, height, widths)
        else:
            tile_now = small_faces_likely(width, height, widths, tiling)
        if not tile_now:
            return
        self.tiled_last_frame = True
        self.tiled_frames += 1
        whole = list(untiled)
        for tile in adaptive_tiles(width, height, tiling):
            start = len(found)
            self.passes_last_frame += 1
            yield mask_faces(tile.crop(img), tile, whole, width, height), tile.region, None
            whole += [b for b, _, _ in found[start:] if is_whole(b, tile.region, width, height)]
        if self._schedule is not None and stream:
            new = merge_faces(found[len(untiled):])
            self._schedule.record(frame.timestamp, sum(
                not any(same_face(b, u) for u in untiled) for b, _, _ in new))

    def detect(self, frame: Frame) -> Observations:
        """Find faces in `frame`; boxes are normalised to the frame's full size."""
        img = _as_rgb(frame.image)
        height, width = img.shape[:2]
        candidates: list[tuple[BBox, float, FaceObservation]] = []
        crops: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # face -> (image, its landmarks)
        for image, region, ts in self._passes(img, frame, candidates):
            for pts, shapes, matrix in self._run(image, ts):
                frame_pts = to_frame(pts, region, width, height)
                bbox = bbox_of(frame_pts)
                if bbox[2] <= bbox[0] or bbox[3] <= bbox[1]:
                    continue
                yaw, pitch, roll = pose_from_matrix(matrix) if matrix is not None else (0, 0, 0)
                face = FaceObservation(bbox=bbox, blendshapes=shapes, yaw=yaw, pitch=pitch,
                                       roll=roll)
                # the network's crop: from the upscaled image of a small still (what the face
                # model saw), else from the whole frame (never from a tile with faces blanked)
                crops[id(face)] = (image, pts) if image.shape[0] > height else (img, frame_pts)
                candidates.append((bbox, face_score(bbox, region, width, height), face))
        self.landmarks_last_frame = len(candidates)
        kept = [face for _, _, face in merge_faces(candidates)[: self.max_faces]]
        if self.expression is not None:  # only the faces kept are read, once each
            kept = [replace(face, expression=self.expression.read(*crops[id(face)]))
                    for face in kept]
        faces = tuple(sorted(kept, key=lambda f: (f.center[0], f.center[1])))
        return Observations(
            timestamp=frame.timestamp,
            frame_index=frame.index,
            source=frame.source,
            faces=faces,
            media_time=frame.media_time,
        )

    def close(self) -> None:
        """Release MediaPipe's graphs (safe to call twice)."""
        for attr in ("_image", "_video"):
            lm = getattr(self, attr)
            if lm is not None:
                lm.close()
                setattr(self, attr, None)
