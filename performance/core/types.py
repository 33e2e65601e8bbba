"""Plain value types that cross layer boundaries (frames, observations, emotion estimates,
the room's aggregates) and `clamp`, the range helper those aggregates use."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from enum import Enum

import numpy as np

EMOTIONS: tuple[str, ...] = (
    "neutral", "happy", "sad", "angry", "surprised", "fearful", "disgusted",
)


BBox = tuple[float, float, float, float]


def bbox_center(bbox: BBox) -> tuple[float, float]:
    """Centre of a normalised (x0, y0, x1, y1) box."""
    x0, y0, x1, y1 = bbox
    return ((x0 + x1) / 2.0, (y0 + y1) / 2.0)


def bbox_width(bbox: BBox) -> float:
    """Width of a normalised box as a share of the frame width (never quite zero)."""
    return max(bbox[2] - bbox[0], 1e-6)


@dataclass(frozen=True)
class Frame:
    """One picture from a source.

    `image` is RGB uint8 (H, W, 3). `timestamp` is our own monotonic time in seconds (strictly
    increasing per source, also across a looping video); `media_time` is the position inside
    the media (resets when a video loops); `index` counts frames delivered by the source.
    `captured` is when capture handed the frame on, on the run's (the loop's) clock: the
    start of the latency the run reports (None outside a live run).
    """

    image: np.ndarray
    timestamp: float
    index: int
    source: str
    media_time: float = 0.0
    is_still: bool = False
    captured: float | None = None


class FaceRole(Enum):
    """Whose face it is: the audience's, or the performer's (in the camera calibration's
    performer zone, read apart and left out of the crowd)."""

    AUDIENCE = "audience"
    PERFORMER = "performer"


@dataclass(frozen=True)
class FaceObservation:
    """What perception saw of one face in one frame. Lives in memory only.

    `bbox` is (x0, y0, x1, y1) normalised to [0, 1] of the frame. `blendshapes` maps
    MediaPipe's 52 category names to scores in [0, 1]. `yaw`, `pitch`, `roll` are degrees.
    `expression` is the expression network's probabilities over EMOTIONS when it read the
    face (None: the blendshapes alone).
    """

    bbox: BBox
    blendshapes: dict[str, float]
    yaw: float = 0.0
    pitch: float = 0.0
    roll: float = 0.0
    expression: tuple[float, ...] | None = None  # the expression network's reading (EMOTIONS)
    role: FaceRole = FaceRole.AUDIENCE  # PERFORMER: in the camera's performer zone

    @property
    def center(self) -> tuple[float, float]:
        return bbox_center(self.bbox)

    @property
    def size(self) -> float:
        """Face width as a share of the frame width."""
        return bbox_width(self.bbox)


@dataclass(frozen=True)
class Observations:
    """All faces perception found in one frame (`captured`: that frame's capture time on the
    loop's clock, kept from the frame so the run can measure capture -> emotion;
    `inference_s`: how long perception worked on the frame, for the run's figures)."""

    timestamp: float
    frame_index: int
    source: str
    faces: tuple[FaceObservation, ...]
    media_time: float = 0.0
    captured: float | None = None
    inference_s: float | None = None


@dataclass(frozen=True)
class EmotionReading:
    """An emotion estimate: probabilities over EMOTIONS plus valence and arousal in [-1, 1]."""

    probabilities: tuple[float, ...]
    valence: float
    arousal: float

    @property
    def label(self) -> str:
        return EMOTIONS[int(np.argmax(self.probabilities))]

    def probability(self, emotion: str) -> float:
        return self.probabilities[EMOTIONS.index(emotion)]


NEUTRAL_READING = EmotionReading(
    probabilities=(1.0,) + (0.0,) * (len(EMOTIONS) - 1), valence=0.0, arousal=0.0
)


def distribution(weights: np.ndarray) -> tuple[float, ...]:
    """Smoothed class weights as probabilities over EMOTIONS (negatives clipped, summing to 1;
    all-zero weights read as neutral)."""
    clipped = np.clip(np.asarray(weights, dtype=np.float64), 0.0, None)
    total = float(clipped.sum())
    if total <= 0:
        return NEUTRAL_READING.probabilities
    return tuple(float(p) for p in clipped / total)


@dataclass(frozen=True)
class FaceEmotion:
    """A tracked face: stable id, where it is, its smoothed emotion and the raw one.

    `center` is normalised to the frame (x right, y down); `size` is the face width share.
    """

    face_id: int
    center: tuple[float, float]
    size: float
    smoothed: EmotionReading
    raw: EmotionReading
    age: float
    motion: float = 0.0
    visible: bool = True  # seen in the latest frame (False while briefly lost)


def clamp(value: float, low: float, high: float) -> float:
    """`value` limited to [low, high]; NaN becomes the value of the range nearest 0."""
    v = float(value)
    if math.isnan(v):
        return low if low > 0 else (0.0 if high >= 0 else high)
    return min(max(v, low), high)


def _aggregate(low: float, high: float) -> float:
    """A CrowdReading number field, 0 by default, with its range (see `CrowdReading.clamped`)."""
    return field(default=0.0, metadata={"range": (low, high)})


_PER_MINUTE_MAX = 1e6  # a bound only to keep the value finite; no room comes near it


@dataclass(frozen=True)
class CrowdReading:
    """Aggregates over every face in view; this (not per-person data) is what the show uses.

    The one list of room aggregates: render, audio and the show's metrics derive theirs from
    these fields (in this order). Each field carries its range; `clamped()` applies them.
    """

    face_count: float = _aggregate(0.0, 1000.0)  # faces in view (fractional while smoothing)
    valence: float = _aggregate(-1.0, 1.0)
    arousal: float = _aggregate(-1.0, 1.0)
    emotions: tuple[float, ...] = field(
        default=NEUTRAL_READING.probabilities, metadata={"range": (0.0, 1.0)})
    chaos: float = _aggregate(0.0, 1.0)
    spread: float = _aggregate(0.0, 1.0)
    motion: float = _aggregate(0.0, 1.0)
    presence: float = _aggregate(0.0, 1.0)
    arrivals_per_min: float = _aggregate(0.0, _PER_MINUTE_MAX)
    departures_per_min: float = _aggregate(0.0, _PER_MINUTE_MAX)

    def clamped(self) -> CrowdReading:
        """A copy with every value finite and inside its field's range (see `clamp`)."""
        changes: dict[str, object] = {}
        for f in fields(self):
            low, high = f.metadata["range"]
            value = getattr(self, f.name)
            if isinstance(value, tuple):
                changes[f.name] = tuple(clamp(v, low, high) for v in value)
            else:
                changes[f.name] = clamp(value, low, high)
        return replace(self, **changes)  # type: ignore[arg-type]  # one value per field


CROWD_NUMBERS: tuple[str, ...] = tuple(
    f.name for f in fields(CrowdReading) if isinstance(f.default, float)
)
"""The number fields of CrowdReading, in order (every field but the `emotions` shares)."""


@dataclass(frozen=True)
class RoomEmotion:
    """What the emotion layer publishes each update (`performer`: the smoothed reading of
    the face in the camera's performer zone, kept out of `faces` and `crowd`; None when no
    performer is in view)."""

    timestamp: float
    faces: tuple[FaceEmotion, ...] = ()
    crowd: CrowdReading = field(default_factory=CrowdReading)
    performer: EmotionReading | None = None
