"""Perception: the MediaPipe adapter, model resolution, tiling, the inference worker, and a
scripted audience.

`FaceLandmarkerAdapter` (alias `Landmarker`) lives in `landmarker.py`, the only module that
imports MediaPipe; it is imported lazily on first access so `import performance.perception`
stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from performance.core.blendshapes import BLENDSHAPE_NAMES
from performance.perception.model import (
    ENV_VAR,
    MODEL_SHA256,
    MODEL_URL,
    default_cache_dir,
    download_model,
    resolve_model_path,
    verify_model,
)
from performance.perception.scripted import MOODS, ScriptedAudience
from performance.perception.tiling import Tile, TilingSettings, make_tiles, merge_faces
from performance.perception.worker import Detector, PerceptionWorker

if TYPE_CHECKING:
    from performance.perception.landmarker import FaceLandmarkerAdapter, Landmarker

__all__ = [
    "BLENDSHAPE_NAMES",
    "ENV_VAR",
    "MODEL_SHA256",
    "MODEL_URL",
    "MOODS",
    "Detector",
    "FaceLandmarkerAdapter",
    "Landmarker",
    "PerceptionWorker",
    "ScriptedAudience",
    "Tile",
    "TilingSettings",
    "default_cache_dir",
    "download_model",
    "make_tiles",
    "merge_faces",
    "resolve_model_path",
    "verify_model",
]

_LAZY = {"FaceLandmarkerAdapter", "Landmarker"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from performance.perception import landmarker

        return getattr(landmarker, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
