"""FACS action-unit-like features built from MediaPipe's 52 blendshapes.

This module owns the feature vector the emotion mapping works on (`FEATURE_NAMES`); the
blendshape vocabulary itself is `performance.core.blendshapes.BLENDSHAPE_NAMES`. Each
feature stands for one FACS action unit (AU), a combination used by EMFACS, or an asymmetry.
Left/right pairs are averaged. Blendshapes the Face Landmarker barely produces
(`noseSneer*`, `cheekSquint*`, `cheekPuff`, `jawForward`, `_neutral`) are not used: a
feature built on them never fires. Pure numpy; no model, no state.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from performance.core.blendshapes import BLENDSHAPE_NAMES

_Col = Callable[[str], np.ndarray]


def _pair(col: _Col, stem: str) -> np.ndarray:
    return (col(stem + "Left") + col(stem + "Right")) / 2.0


def _features(col: _Col) -> list[tuple[str, np.ndarray]]:
    """The feature definitions: (name, values for every face). Order = FEATURE_NAMES."""
    au1 = col("browInnerUp")                   # AU1 inner brow raiser
    au2 = _pair(col, "browOuterUp")            # AU2 outer brow raiser
    au4 = _pair(col, "browDown")               # AU4 brow lowerer
    au5 = _pair(col, "eyeWide")                # AU5 upper lid raiser
    au7 = _pair(col, "eyeSquint")              # AU6/AU7 cheek raiser / lid tightener
    au43 = _pair(col, "eyeBlink")              # AU43 eyes closed (AU41/42 lid droop)
    au10 = _pair(col, "mouthUpperUp")          # AU10 upper lip raiser (rises with smiles here)
    au12 = _pair(col, "mouthSmile")            # AU12 lip corner puller
    au14 = _pair(col, "mouthDimple")           # AU14 dimpler
    au15 = _pair(col, "mouthFrown")            # AU15 lip corner depressor
    au16 = _pair(col, "mouthLowerDown")        # AU16 lower lip depressor
    au17 = col("mouthShrugLower")              # AU17 chin raiser
    au20 = _pair(col, "mouthStretch")          # AU20 lip stretcher
    au24 = _pair(col, "mouthPress")            # AU23/24 lip tightener / presser
    au26 = col("jawOpen")                      # AU25/26/27 lips part, jaw drop
    au18 = col("mouthPucker")                  # AU18 lip pucker
    au22 = col("mouthFunnel")                  # AU22 lip funneler
    au28 = (col("mouthRollLower") + col("mouthRollUpper")) / 2.0  # AU28 lip suck
    au64 = _pair(col, "eyeLookDown")           # AU64 eyes down (gaze)
    return [
        ("au1_inner_brow_raise", au1),
        ("au2_outer_brow_raise", au2),
        ("au4_brow_lower", au4),
        ("au5_upper_lid_raise", au5),
        ("au6_7_lid_tighten", au7),
        ("au43_eyes_closed", au43),
        ("au10_upper_lip_raise", au10),
        ("au12_lip_corner_pull", au12),
        ("au14_dimpler", au14),
        ("au15_lip_corner_depress", au15),
        ("au16_lower_lip_depress", au16),
        ("au17_chin_raise", au17),
        ("au20_lip_stretch", au20),
        ("au23_24_lip_press", au24),
        ("au26_jaw_drop", au26),
        ("upper_lip_shrug", col("mouthShrugUpper")),  # upper lip pushed up (with AU17 pout)
        ("au18_lip_pucker", au18),
        ("au22_lip_funnel", au22),
        ("au28_lip_roll", au28),
        ("au64_eyes_down", au64),
        # AU12/AU14 unilateral: one-sided smile or dimple (contempt-like smirk).
        ("asym_smile", np.abs(col("mouthSmileLeft") - col("mouthSmileRight"))
         + np.abs(col("mouthDimpleLeft") - col("mouthDimpleRight"))),
        # Unilateral brow: one brow lowered or raised more than the other (scepticism).
        ("asym_brow", np.abs(col("browDownLeft") - col("browDownRight"))
         + np.abs(col("browOuterUpLeft") - col("browOuterUpRight"))),
        # EMFACS combinations (products fire only when both parts are present):
        ("happy_6_12", au7 * au12),            # AU6+12 Duchenne smile
        ("sad_1_15", au1 * (au15 + au17)),     # AU1+15(+17) sadness
        ("surprise_2_5_26", (au1 + au2) * (au5 + au26)),  # AU1+2 with AU5/26 surprise
        ("fear_1_4_20", au1 * (au4 + au20)),   # AU1+4 / AU1+20 fear brow and lips
        ("anger_4_7_24", au4 * (au7 + au24)),  # AU4+7 / AU4+24 anger
    ]


FEATURE_NAMES: tuple[str, ...] = tuple(
    name for name, _ in _features(lambda _n: np.zeros(1))
)

# Optional extras: the raw live blendshapes (left and right kept apart). Gaze (`eyeLook*`) is
# left out on purpose: where someone looks is not an expression.
_DEAD = {"_neutral", "cheekPuff", "cheekSquintLeft", "cheekSquintRight", "jawForward",
         "noseSneerLeft", "noseSneerRight"}
RAW_BLENDSHAPES: tuple[str, ...] = tuple(
    n for n in BLENDSHAPE_NAMES if n not in _DEAD and not n.startswith("eyeLook")
)
RAW_FEATURE_NAMES: tuple[str, ...] = tuple(f"bs_{n}" for n in RAW_BLENDSHAPES)
EXTENDED_FEATURE_NAMES: tuple[str, ...] = FEATURE_NAMES + RAW_FEATURE_NAMES


def features_from_matrix(
    matrix: np.ndarray, names: Sequence[str], extended: bool = False
) -> np.ndarray:
    """Features for every face: `matrix` is (faces, len(names)) blendshape scores.

    Returns (faces, len(FEATURE_NAMES)) float64, or (faces, len(EXTENDED_FEATURE_NAMES)) when
    `extended`. Raises ValueError if a blendshape a feature needs is not among `names`.
    """
    m = np.asarray(matrix, dtype=np.float64)
    if m.ndim != 2 or m.shape[1] != len(names):
        raise ValueError(f"matrix shape {m.shape} does not match {len(names)} names")
    index = {n: i for i, n in enumerate(names)}

    def col(name: str) -> np.ndarray:
        if name not in index:
            raise ValueError(f"blendshape {name!r} missing from the columns")
        return m[:, index[name]]

    columns = [values for _, values in _features(col)]
    if extended:
        columns += [col(n) for n in RAW_BLENDSHAPES]
    return np.stack(columns, axis=1)


def blendshape_row(scores: Mapping[str, float]) -> np.ndarray:
    """(1, 52) matrix in BLENDSHAPE_NAMES order; missing blendshapes count as 0."""
    return np.array([[float(scores.get(n, 0.0)) for n in BLENDSHAPE_NAMES]])


def features_from_blendshapes(
    scores: Mapping[str, float], extended: bool = False
) -> np.ndarray:
    """Feature vector (len(FEATURE_NAMES),) of one face; missing blendshapes count as 0."""
    return features_from_matrix(blendshape_row(scores), BLENDSHAPE_NAMES, extended)[0]
