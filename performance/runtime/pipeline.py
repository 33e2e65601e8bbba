"""The perception -> emotion pipeline as the settings describe it, built once for every command.

Owns what `essence run`/`rehearse`, `essence render` and `essence analyze` share: the emotion
engine configured from settings (mapping, baseline, smoothing) and the MediaPipe detector
factory (model resolved and tiling parsed at once, so a bad setting fails before any work).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

from performance.config import Settings
from performance.emotion.engine import EmotionEngine
from performance.emotion.mapping import EmotionMapping
from performance.perception.worker import Detector

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
                         learn_baseline=settings.learn_baseline)


def landmarker_factory(settings: Settings,
                       mode: Literal["image", "video"]) -> Callable[[], Detector]:
    """A factory of MediaPipe detectors in `mode` (tiling per settings). The model is
    resolved and the tiles setting parsed now, so either fails here, naming the setting."""
    from performance.perception.landmarker import FaceLandmarkerAdapter
    from performance.perception.model import resolve_model_path
    from performance.perception.tiling import TilingSettings

    model = resolve_model_path(settings.face_model)
    tiling = TilingSettings.parse(settings.tiles)
    return lambda: FaceLandmarkerAdapter(model, max_faces=settings.max_faces, mode=mode,
                                         tiling=tiling)
