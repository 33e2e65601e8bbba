"""Perception: the MediaPipe adapter, model resolution, tiling, the inference worker, and a
scripted audience.

`FaceLandmarkerAdapter` lives in `landmarker.py`, the only module that imports MediaPipe:
import it from there (it is not re-exported here), so `import performance.perception` stays
light (no MediaPipe, no OpenCV).
"""

from __future__ import annotations

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

__all__ = [
    "BLENDSHAPE_NAMES",
    "ENV_VAR",
    "MODEL_SHA256",
    "MODEL_URL",
    "MOODS",
    "Detector",
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
