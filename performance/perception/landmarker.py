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
* Tiling finds faces with the bundle's own face detector on overlapping tiles (tile_pass.py)
  and landmarks each distinct face it finds once, on a face sheet (sheet.py). An image pass
  (a still, `mode="image"`, or `auto`/`CxR`) runs the detector on the whole frame first:
  with `adaptive` (the `tiles` default) a face wider than 20 % of the frame means someone is
  at the camera and the landmarker runs untiled; otherwise (and always with `auto`/`CxR`)
  the detector runs on the tiles too and every face found goes onto the sheet, so no
  landmarker pass is spent on the whole frame of a crowd. An adaptive stream runs its
  untiled VIDEO-mode pass first and tiles when tiling.py's schedule says so.
  `passes_last_frame`, `tiled_last_frame`, `landmarks_last_frame` and `tiled_frames` say
  what a frame cost (tile_pass.py gives the figures).
"""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass, replace
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
from performance.perception.detector import FaceBoxes, PixelBox
from performance.perception.expression import ExpressionNetwork
from performance.perception.litert import runtime_missing
from performance.perception.model import FACE_MODEL, read_verified
from performance.perception.native import quiet_native_stderr
from performance.perception.sheet import MAX_COLUMNS
from performance.perception.tile_pass import (
    LandmarkedFace,
    detector_model,
    landmark_on_sheets,
    tile_boxes,
)
from performance.perception.tiling import (
    BBox,
    Tile,
    TilingSchedule,
    TilingSettings,
    adaptive_tiles,
    bbox_of,
    can_tile,
    face_score,
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
log = logging.getLogger(__name__)


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


@dataclass(frozen=True)
class _Found:
    """A face one pass found, and the image and landmarks the expression network reads it from
    (the upscaled image of a small still, what the face model saw; else the whole frame,
    never a tile or a sheet)."""

    face: FaceObservation
    image: np.ndarray
    points: np.ndarray


_Candidate = tuple[BBox, float, _Found]


class _GraphBoxes:
    """MediaPipe's face detector graph behind `FaceBoxes`'s `boxes` (the fallback)."""

    def __init__(self, graph: Any) -> None:
        self._graph = graph

    def boxes(self, image: np.ndarray) -> list[tuple[PixelBox, float]]:
        result = self._graph.detect(mp.Image(image_format=mp.ImageFormat.SRGB,
                                             data=np.ascontiguousarray(image)))
        out: list[tuple[PixelBox, float]] = []
        for detection in result.detections:
            b = detection.bounding_box
            score = detection.categories[0].score if detection.categories else 1.0
            out.append(((float(b.origin_x), float(b.origin_y), float(b.origin_x + b.width),
                         float(b.origin_y + b.height)), float(score or 0.0)))
        return out

    def close(self) -> None:
        self._graph.close()


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
        # Read once and hashed: MediaPipe gets these bytes, never the path (model.py)
        self._model = read_verified(self.model_path, model=FACE_MODEL)
        self.max_faces = int(max_faces)
        self.mode = mode
        self.tiling = tiling
        self.upscale_small = upscale_small
        self.expression = expression  # reads each face's crop beside the blendshapes
        self._conf = (min_detection_confidence, min_presence_confidence, min_tracking_confidence)
        self._timestamps = StrictTimestamps()
        self._image: Any = None
        self._video: Any = None
        self._detector: Any = None
        self.passes_last_frame = 0  # model passes (full frame, tiles, sheets) the last frame
        self.tiled_last_frame = False  # whether the last frame was tiled
        self.landmarks_last_frame = 0  # faces landmarked in all passes, before merging
        self.tiled_frames = 0  # frames tiled so far
        self._schedule = TilingSchedule(tiling) if tiling is not None and tiling.adaptive else None
        self._followed: list[tuple[BBox, float]] = []  # a stream's faces found on the sheet
        if mode == "video" and (tiling is None or tiling.adaptive):
            self._video = self._create(vision.RunningMode.VIDEO)
        else:
            self._image = self._create(vision.RunningMode.IMAGE)
        if tiling is not None:
            self._detector = self._create_detector()

    def _create(self, running_mode: Any) -> Any:
        det, pres, track = self._conf
        options = vision.FaceLandmarkerOptions(
            base_options=BaseOptions(model_asset_buffer=self._model),
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

    def _create_detector(self) -> Any:
        """The bundle's face detector alone, for the tiles: through LiteRT (detector.py,
        x0.77-0.82 of the graph's time a pass), or MediaPipe's own graph when the runtime is
        missing or refuses the model."""
        model = detector_model(self._model, self.model_path)
        missing = runtime_missing()
        if missing is None:
            try:
                return FaceBoxes(model, self.model_path, min_score=self._conf[0])
            except ModelError as exc:  # LiteRT refused the detector MediaPipe can run
                missing = str(exc)
        log.info("%s: the tiles use MediaPipe's face detector", missing)
        options = vision.FaceDetectorOptions(
            base_options=BaseOptions(model_asset_buffer=model),
            running_mode=vision.RunningMode.IMAGE,
            min_detection_confidence=self._conf[0],
        )
        try:
            with quiet_native_stderr():
                return _GraphBoxes(vision.FaceDetector.create_from_options(options))
        except (RuntimeError, ValueError, OSError) as exc:
            raise ModelError(f"{self.model_path}: MediaPipe could not load its face detector"
                             f" ({exc})") from exc

    def _landmarker(self, video: bool) -> Any:
        if video:
            if self._video is None:
                self._video = self._create(vision.RunningMode.VIDEO)
            return self._video
        if self._image is None:
            self._image = self._create(vision.RunningMode.IMAGE)
        return self._image

    def _run(self, image: np.ndarray, timestamp_ms: int | None = None) -> list[LandmarkedFace]:
        """One landmarker pass (VIDEO mode when given a timestamp), counted."""
        mp_image = mp.Image(image_format=mp.ImageFormat.SRGB, data=image)
        if timestamp_ms is None:
            result = self._landmarker(False).detect(mp_image)
        else:
            result = self._landmarker(True).detect_for_video(mp_image, timestamp_ms)
        self.passes_last_frame += 1
        self.landmarks_last_frame += len(result.face_landmarks)
        faces: list[LandmarkedFace] = []
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

    def _boxes(self, img: np.ndarray, tile: Tile) -> list[tuple[BBox, float, None]]:
        """One detector pass over a tile (tile_pass.py's `tile_boxes`), counted."""
        self.passes_last_frame += 1
        return [(bbox, score, None) for bbox, score in tile_boxes(self._detector, img, tile)]

    @staticmethod
    def _add(found: list[_Candidate], frame_pts: np.ndarray, shapes: dict[str, float],
             matrix: np.ndarray | None, score: float, seen: tuple[np.ndarray, np.ndarray]
             ) -> None:
        """Add a landmarked face (points normalised to the frame) unless its box is empty."""
        bbox = bbox_of(frame_pts)
        if bbox[2] <= bbox[0] or bbox[3] <= bbox[1]:
            return
        yaw, pitch, roll = pose_from_matrix(matrix) if matrix is not None else (0.0, 0.0, 0.0)
        face = FaceObservation(bbox=bbox, blendshapes=shapes, yaw=yaw, pitch=pitch, roll=roll)
        found.append((bbox, score, _Found(face, *seen)))

    def _full_frame(self, img: np.ndarray, frame: Frame, small: bool,
                    found: list[_Candidate]) -> None:
        """The untiled pass: VIDEO mode for a stream unless `auto`/`CxR` tiling (IMAGE mode, as
        its tiles); a small still upscaled and padded first."""
        height, width = img.shape[:2]
        ts = self._timestamps.next_ms(frame.timestamp) if self._stream(frame) else None
        image, region = (upscale_and_pad(img, UPSCALE_TO, PAD) if small
                         else (img, (0.0, 0.0, float(width), float(height))))
        for pts, shapes, matrix in self._run(image, ts):
            frame_pts = to_frame(pts, region, width, height)
            self._add(found, frame_pts, shapes, matrix,
                      face_score(bbox_of(frame_pts), region, width, height),
                      (image, pts) if small else (img, frame_pts))

    def _stream(self, frame: Frame) -> bool:
        """Whether this frame's untiled pass is VIDEO mode (an adaptive or untiled stream)."""
        fixed = self.tiling is not None and not self.tiling.adaptive
        return self.mode == "video" and not frame.is_still and not fixed

    def _looked_over(self, img: np.ndarray, frame: Frame, tiling: TilingSettings,
                     found: list[_Candidate]) -> None:
        """A tiled image pass, the detector first: its boxes on the whole frame say whether
        someone is at the camera (`adaptive`: a face wider than `small_face`), and then the
        landmarker runs untiled as without tiling; otherwise the detector runs on the tiles
        too and every face found is landmarked once, on a face sheet (no untiled landmarker
        pass spent on the faces large enough for it)."""
        height, width = img.shape[:2]
        whole = Tile(0, 0, width, height)
        boxes = self._boxes(img, whole) if tiling.include_full_frame or tiling.adaptive else []
        widths = [x1 - x0 for (x0, _, x1, _), _, _ in boxes]
        if tiling.adaptive and not small_faces_likely(width, height, widths, tiling):
            self._full_frame(img, frame, False, found)
            return
        self.tiled_last_frame = True
        self.tiled_frames += 1
        for tile in adaptive_tiles(width, height, tiling):
            boxes += self._boxes(img, tile)
        self._on_sheets(img, boxes, found)

    def _tiled_stream(self, img: np.ndarray, frame: Frame, found: list[_Candidate]) -> None:
        """An adaptive stream's tiled frame, after its untiled VIDEO-mode pass: detector
        passes over the tiles when `TilingSchedule.scan_due`, and between scans the faces the
        last tiled frame found, followed where they were (no detector pass); each face the
        untiled pass lacks is landmarked once, on a face sheet."""
        assert self._schedule is not None and self.tiling is not None
        height, width = img.shape[:2]
        self.tiled_last_frame = True
        self.tiled_frames += 1
        schedule = self._schedule
        boxes: list[tuple[BBox, float, None]] = []
        if self._followed and not schedule.scan_due(frame.timestamp):
            boxes = [(bbox, score, None) for bbox, score in self._followed]
        else:
            for tile in adaptive_tiles(width, height, self.tiling):
                boxes += self._boxes(img, tile)
            schedule.scanned(frame.timestamp)
        before = len(found)
        self._on_sheets(img, boxes, found)
        self._followed = [(bbox, score) for bbox, score, _ in found[before:]]
        schedule.record(frame.timestamp, len(self._followed))

    def _on_sheets(self, img: np.ndarray, boxes: list[tuple[BBox, float, None]],
                   found: list[_Candidate]) -> None:
        """Landmark each distinct face in `boxes` that `found` lacks once, on face sheets
        (tile_pass.py's `landmark_on_sheets`), and add it to `found`."""
        known = [bbox for bbox, _, _ in found]
        new = [(bbox, score) for bbox, score, _ in merge_faces(boxes)
               if not any(same_face(bbox, k) for k in known)]
        new = new[:max(0, self.max_faces - len(found))]
        per_sheet = min(MAX_COLUMNS * MAX_COLUMNS, self.max_faces)
        for frame_pts, (_, shapes, matrix), score in landmark_on_sheets(img, new, known,
                                                                        per_sheet, self._run):
            self._add(found, frame_pts, shapes, matrix, score, (img, frame_pts))

    def detect(self, frame: Frame) -> Observations:
        """Find faces in `frame`; boxes are normalised to the frame's full size."""
        img = _as_rgb(frame.image)
        height, width = img.shape[:2]
        self.passes_last_frame = self.landmarks_last_frame = 0
        self.tiled_last_frame = False
        found: list[_Candidate] = []
        small = self.upscale_small and min(height, width) < SMALL_SIDE
        tiling = self.tiling
        if small or tiling is None or not can_tile(width, height, tiling):
            tiling = None
        if tiling is None:
            self._full_frame(img, frame, small, found)
        elif not self._stream(frame):
            self._looked_over(img, frame, tiling, found)
        else:
            self._full_frame(img, frame, False, found)
            widths = [x1 - x0 for (x0, _, x1, _), _, _ in found]
            if self._schedule is not None and self._schedule.should_tile(
                    frame.timestamp, width, height, widths):
                self._tiled_stream(img, frame, found)
        kept = [seen for _, _, seen in merge_faces(found)[: self.max_faces]]
        faces = [seen.face for seen in kept]
        if self.expression is not None:  # only the faces kept are read, once each
            faces = [replace(seen.face, expression=self.expression.read(seen.image, seen.points))
                     for seen in kept]
        return Observations(
            timestamp=frame.timestamp,
            frame_index=frame.index,
            source=frame.source,
            faces=tuple(sorted(faces, key=lambda f: (f.center[0], f.center[1]))),
            media_time=frame.media_time,
        )

    def close(self) -> None:
        """Release MediaPipe's graphs (safe to call twice)."""
        for attr in ("_image", "_video", "_detector"):
            lm = getattr(self, attr)
            if lm is not None:
                lm.close()
                setattr(self, attr, None)
