"""The perception -> emotion pipeline as the settings describe it, built once for every command.

Owns what `essence run`/`rehearse`, `essence render` and `essence analyze` share: the emotion
engine configured from settings (mapping, baseline, smoothing) and the MediaPipe detector
factory (model resolved and tiling parsed at once, so a bad setting fails before any work).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from performance.config import Reader, Settings
from performance.core.errors import ConfigError
from performance.emotion.engine import EmotionEngine
from performance.emotion.mapping import EmotionMapping
from performance.perception.tiling import TilingSettings
from performance.perception.worker import Detector
from performance.venue.camera import CameraCalibration
from performance.venue.zones import ZoneMap

log = logging.getLogger(__name__)

SCRIPTED = "scripted"
"""The `--input` naming the built-in scripted audience (no camera, no face model)."""


def engine_from_settings(settings: Settings,
                         mapping: EmotionMapping | None = None) -> EmotionEngine:
    """The emotion engine configured from settings (`mapping` default: the shipped one; an
    explicit baseline file when `settings.baseline` names one)."""
    from performance.emotion.baseline import load_baseline

    mapping = mapping if mapping is not None else EmotionMapping.load()
    baseline = None
    if settings.baseline:
        baseline = load_baseline(Path(settings.baseline), mapping.feature_names)
    return EmotionEngine(mapping, smooth_time=settings.smooth_time,
                         forget_after=settings.forget_after, baseline=baseline,
                         learn_baseline=settings.learn_baseline, reader=Reader(settings.reader),
                         venue_baseline_s=settings.venue_baseline_minutes * 60.0)


@dataclass(frozen=True)
class LandmarkerSpec:
    """A MediaPipe detector as the settings describe it, built by calling the spec: picklable,
    so the perception process builds its own from the same spec."""

    model: Path
    max_faces: int
    mode: Literal["image", "video"]
    tiling: TilingSettings | None  # None: no tiling
    network: Path | None  # the expression network's file; None: the blendshapes alone
    zones: ZoneMap | None = None  # the camera calibration's zones; None: every face counts

    def __call__(self) -> Detector:
        from performance.perception.expression import ExpressionNetwork
        from performance.perception.landmarker import FaceLandmarkerAdapter

        reader = ExpressionNetwork(self.network) if self.network is not None else None
        detector: Detector = FaceLandmarkerAdapter(
            self.model, max_faces=self.max_faces, mode=self.mode, tiling=self.tiling,
            expression=reader)
        if self.zones is not None and not self.zones.empty:
            from performance.perception.zones import ZonedDetector

            detector = ZonedDetector(detector, self.zones)
        return detector


def landmarker_factory(settings: Settings,
                       mode: Literal["image", "video"]) -> LandmarkerSpec:
    """A factory of MediaPipe detectors in `mode` (tiling per settings), each with its own
    expression network when the reader uses one. The models are resolved and the tiles
    setting parsed now, so any of them fails here, naming the setting."""
    from performance.perception.model import resolve_model_path

    camera = camera_from_settings(settings)
    return LandmarkerSpec(resolve_model_path(settings.face_model), settings.max_faces, mode,
                          TilingSettings.parse(settings.tiles), expression_model(settings),
                          ZoneMap.of(camera) if camera is not None else None)


def camera_from_settings(settings: Settings) -> CameraCalibration | None:
    """The camera calibration the `camera_calibration` setting names (None: none), loaded
    now: a bad file is one line naming the file and key, before any work."""
    if not settings.camera_calibration:
        return None
    from performance.venue.camera import load_camera

    return load_camera(Path(settings.camera_calibration))


def expression_model(settings: Settings) -> Path | None:
    """The expression network's file when the reader uses it (resolved and checked now);
    None for the blendshape reader, or when the LiteRT runtime is missing (then the
    blendshapes read alone, as the log says once)."""
    if Reader(settings.reader) is Reader.BLENDSHAPES:
        return None
    from performance.perception.expression import runtime_missing
    from performance.perception.model import EXPRESSION_MODEL, resolve_model_path

    missing = runtime_missing()
    if missing is not None and Reader(settings.reader) is Reader.NETWORK:
        raise ConfigError(f"reader network: {missing}")
    if missing is not None:
        global _warned_missing
        if not _warned_missing:
            log.warning("%s: the blendshapes read the faces alone (reader %s asked for the "
                        "expression network)", missing, settings.reader)
            _warned_missing = True
        return None
    return resolve_model_path(settings.expression_model, model=EXPRESSION_MODEL)


_warned_missing = False
