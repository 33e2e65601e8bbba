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
* With `tiling`, an IMAGE-mode pass runs on the full frame and on each overlapping tile of the
  full-resolution frame, and duplicates are merged (see tiling.py).

Cost (measured on this project's 2-core CPU machine, XNNPACK): a detector pass costs ~1.5 ms;
each face found costs ~10 ms more (478 landmarks + blendshapes). Plain frames, 640x480 or
1920x1080: ~1.5 ms empty, ~22 ms with 2 faces. Tiled with the default 3x2 grid (7 passes):
~9 ms empty, ~90-125 ms with 5-6 faces at either size, because a face in a tile overlap or
also seen by the full-frame pass is landmarked once per pass that finds it (merged after).
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
from collections.abc import Iterator
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
from performance.perception.tiling import (
    BBox,
    Region,
    TilingSettings,
    bbox_of,
    face_score,
    make_tiles,
    merge_faces,
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


@contextlib.contextmanager
def _quiet_native_stderr() -> Iterator[None]:
    """Silence MediaPipe's absl/TFLite start-up chatter (it ignores GLOG_minloglevel and is all
    printed while a graph is created). Set ESSENCE_MEDIAPIPE_LOGS=1 to see it."""
    if os.environ.get("ESSENCE_MEDIAPIPE_LOGS"):
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


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
        self._conf = (min_detection_confidence, min_presence_confidence, min_tracking_confidence)
        self._timestamps = StrictTimestamps()
        self._image: Any = None
        self._video: Any = None
        self.passes_last_frame = 0
        if mode == "video" and tiling is None:
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
            with _quiet_native_stderr():
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

    def detect(self, frame: Frame) -> Observations:
        """Find faces in `frame`; boxes are normalised to the frame's full size."""
        img = _as_rgb(frame.image)
        height, width = img.shape[:2]
        full: Region = (0.0, 0.0, float(width), float(height))
        use_video = self.mode == "video" and not frame.is_still and self.tiling is None
        passes: list[tuple[np.ndarray, Region]]
        if self.upscale_small and min(height, width) < SMALL_SIDE:
            passes = [upscale_and_pad(img, UPSCALE_TO, PAD)]
        elif self.tiling is not None:
            passes = [(t.crop(img), t.region) for t in make_tiles(width, height, self.tiling)]
            use_video = False
        else:
            passes = [(img, full)]
        candidates: list[tuple[BBox, float, FaceObservation]] = []
        for image, region in passes:
            ts = self._timestamps.next_ms(frame.timestamp) if use_video else None
            for pts, shapes, matrix in self._run(image, ts):
                frame_pts = to_frame(pts, region, width, height)
                bbox = bbox_of(frame_pts)
                if bbox[2] <= bbox[0] or bbox[3] <= bbox[1]:
                    continue
                yaw, pitch, roll = pose_from_matrix(matrix) if matrix is not None else (0, 0, 0)
                face = FaceObservation(bbox=bbox, blendshapes=shapes, yaw=yaw, pitch=pitch,
                                       roll=roll)
                candidates.append((bbox, face_score(bbox, region, width, height), face))
        self.passes_last_frame = len(passes)
        kept = merge_faces(candidates)[: self.max_faces]
        faces = tuple(sorted((f for _, _, f in kept), key=lambda f: (f.center[0], f.center[1])))
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
