"""FACS action-unit-like features built from MediaPipe's 52 blendshapes.

This module owns the feature vector the emotion mapping works on (`FEATURE_NAMES`); the
blendshape vocabulary itself is `performance.core.blendshapes.BLENDSHAPE_NAMES`. Each
feature stands for one FACS action unit (AU), a combination used by EMFACS, or an asymmetry.
Left/right pairs are averaged. Blendshapes the Face Landmarker barely produces
(`noseSneer*`, `cheekSquint*`, `cheekPuff`, `jawForward`, `_neutral`) are not used: a
feature built on them never fires. The definitions (`_features`) are written once; a
`FeaturePlan` compiles them into two matrix products for a whole (faces x 52) matrix.
Pure numpy; no model, no state.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from performance.core.blendshapes import BLENDSHAPE_NAMES

_Col = Callable[[str], Any]  # a column: numpy values for every face, or a `_Term` to compile


def _pair(col: _Col, stem: str) -> Any:
    return (col(stem + "Left") + col(stem + "Right")) / 2.0


def _features(col: _Col) -> list[tuple[str, Any]]:
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
        ("asym_smile", abs(col("mouthSmileLeft") - col("mouthSmileRight"))
         + abs(col("mouthDimpleLeft") - col("mouthDimpleRight"))),
        # Unilateral brow: one brow lowered or raised more than the other (scepticism).
        ("asym_brow", abs(col("browDownLeft") - col("browDownRight"))
         + abs(col("browOuterUpLeft") - col("browOuterUpRight"))),
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

_Linear = tuple[tuple[str, float], ...]  # a linear combination of blendshapes, canonical
_Key = tuple[str, _Linear, _Linear]      # ("bs", ((name, 1),), ()), ("abs", a, ()), ("mul", a, b)


class _Term:
    """A feature as the compiler sees it: coefficients of blendshapes, of |linear| terms and
    of linear x linear terms (all the definitions need)."""

    __slots__ = ("terms",)

    def __init__(self, terms: dict[_Key, float]) -> None:
        self.terms = terms

    def linear(self) -> _Linear:
        if any(kind != "bs" for kind, _, _ in self.terms):
            raise TypeError("only a linear combination of blendshapes can be |.| or multiplied")
        return tuple(sorted((a[0][0], c) for (_, a, _), c in self.terms.items()))

    def __add__(self, other: _Term) -> _Term:
        out = dict(self.terms)
        for key, c in other.terms.items():
            out[key] = out.get(key, 0.0) + c
        return _Term(out)

    def __sub__(self, other: _Term) -> _Term:
        return self + other * -1.0

    def __mul__(self, other: _Term | float) -> _Term:
        if isinstance(other, _Term):
            return _Term({("mul", self.linear(), other.linear()): 1.0})
        return _Term({key: c * other for key, c in self.terms.items()})

    def __truediv__(self, other: float) -> _Term:
        return self * (1.0 / other)

    def __abs__(self) -> _Term:
        return _Term({("abs", self.linear(), ()): 1.0})


def _blendshape(name: str) -> _Term:
    return _Term({("bs", ((name, 1.0),), ()): 1.0})


def _direct(m: np.ndarray, names: Sequence[str], extended: bool) -> np.ndarray:
    """The definitions evaluated column by column (the reference; any non-finite input)."""
    index = {n: i for i, n in enumerate(names)}

    def col(name: str) -> np.ndarray:
        if name not in index:
            raise ValueError(f"blendshape {name!r} missing from the columns")
        return m[:, index[name]]

    columns = [values for _, values in _features(col)]
    if extended:
        columns += [col(n) for n in RAW_BLENDSHAPES]
    return np.stack(columns, axis=1)


class FeaturePlan:
    """Chosen features (of EXTENDED_FEATURE_NAMES, in order) for a whole matrix of faces in
    two matrix products: scores @ A gives the linear features and, for each |.| and product
    term, its linear parts; |.| and the products are taken in place; then
    [linear features, |.| terms, products] @ C sums the terms into the features. Same values
    as `_direct`, which still reads any matrix with a non-finite score."""

    def __init__(self, names: Sequence[str] = FEATURE_NAMES) -> None:
        unknown = [n for n in names if n not in EXTENDED_FEATURE_NAMES]
        if unknown:
            raise ValueError(f"unknown feature names {unknown}")
        self.names = tuple(names)
        defs = dict(_features(_blendshape))
        defs.update({f"bs_{n}": _blendshape(n) for n in RAW_BLENDSHAPES})
        chosen = [defs[n] for n in self.names]
        nonlinear = sorted({k for t in chosen for k in t.terms if k[0] != "bs"},
                           key=lambda k: (k[0] != "abs", k))  # |.| terms first
        n_abs = sum(k[0] == "abs" for k in nonlinear)
        n_mul = len(nonlinear) - n_abs
        # A's columns: linear features, |.| arguments, left factors, right factors.
        parts = [k[1] for k in nonlinear] + [k[2] for k in nonlinear[n_abs:]]
        self.blendshapes = tuple(sorted(
            {n for part in parts for n, _ in part}
            | {k[1][0][0] for t in chosen for k in t.terms if k[0] == "bs"},
            key=BLENDSHAPE_NAMES.index))  # the columns a score matrix must have
        f, row = len(chosen), {n: i for i, n in enumerate(self.blendshapes)}
        a_matrix = np.zeros((len(self.blendshapes), f + len(parts)))
        c_matrix = np.zeros((f + len(nonlinear), f))
        c_matrix[:f] = np.eye(f)
        for j, term in enumerate(chosen):
            for key, coef in term.terms.items():
                if key[0] == "bs":
                    a_matrix[row[key[1][0][0]], j] += coef
                else:
                    c_matrix[f + nonlinear.index(key), j] += coef
        for j, part in enumerate(parts):
            for name, coef in part:
                a_matrix[row[name], f + j] += coef
        self._a, self._c = a_matrix, c_matrix
        self._abs = slice(f, f + n_abs)
        self._left = slice(f + n_abs, f + n_abs + n_mul)
        self._right = slice(f + n_abs + n_mul, f + n_abs + 2 * n_mul)
        self._terms = f + n_abs + n_mul
        self._tables: dict[tuple[str, ...], np.ndarray] = {BLENDSHAPE_NAMES: self._full(
            BLENDSHAPE_NAMES)}

    def __call__(self, matrix: np.ndarray, names: Sequence[str] = BLENDSHAPE_NAMES) -> np.ndarray:
        """(faces, len(self.names)) float64 features of a (faces, len(names)) score matrix.
        Raises ValueError if a blendshape these features need is not among `names`."""
        m = np.asarray(matrix, dtype=np.float64)
        if m.ndim != 2 or m.shape[1] != len(names):
            raise ValueError(f"matrix shape {m.shape} does not match {len(names)} names")
        table = self._table(names)
        if not np.isfinite(m).all():  # the products would spread it to every feature
            full = _direct(m, names, extended=True)
            return np.asarray(full[:, [EXTENDED_FEATURE_NAMES.index(n) for n in self.names]])
        both = m @ table
        np.abs(both[:, self._abs], out=both[:, self._abs])
        np.multiply(both[:, self._left], both[:, self._right], out=both[:, self._left])
        return np.asarray(both[:, : self._terms] @ self._c)

    def _table(self, names: Sequence[str]) -> np.ndarray:
        key = names if type(names) is tuple else tuple(names)
        table = self._tables.get(key)
        if table is None:
            table = self._full(key)
            if len(self._tables) < 16:
                self._tables[key] = table
        return table

    def _full(self, names: tuple[str, ...]) -> np.ndarray:
        """A with a row for each of `names` (zero for those no feature uses)."""
        index = {n: i for i, n in enumerate(names)}
        missing = [n for n in self.blendshapes if n not in index]
        if missing:
            raise ValueError(f"blendshape {missing[0]!r} missing from the columns")
        table = np.zeros((len(names), self._a.shape[1]))
        table[[index[n] for n in self.blendshapes]] = self._a
        return table


_PLANS = {False: FeaturePlan(FEATURE_NAMES), True: FeaturePlan(EXTENDED_FEATURE_NAMES)}


def features_from_matrix(
    matrix: np.ndarray, names: Sequence[str], extended: bool = False
) -> np.ndarray:
    """Features for every face: `matrix` is (faces, len(names)) blendshape scores.

    Returns (faces, len(FEATURE_NAMES)) float64, or (faces, len(EXTENDED_FEATURE_NAMES)) when
    `extended`. Raises ValueError if a blendshape a feature needs is not among `names`.
    """
    return _PLANS[bool(extended)](matrix, names)


_SCORES = operator.itemgetter(*BLENDSHAPE_NAMES)


def blendshape_matrix(faces: Sequence[Mapping[str, float]]) -> np.ndarray:
    """(faces, 52) scores in BLENDSHAPE_NAMES order, one row per face's scores; missing
    blendshapes count as 0."""
    def row(scores: Mapping[str, float]) -> tuple[float, ...]:
        try:
            return _SCORES(scores)
        except KeyError:
            return tuple(float(scores.get(n, 0.0)) for n in BLENDSHAPE_NAMES)

    flat = itertools.chain.from_iterable(map(row, faces))
    n = len(BLENDSHAPE_NAMES)
    return np.fromiter(flat, np.float64, count=len(faces) * n).reshape(len(faces), n)


def blendshape_row(scores: Mapping[str, float]) -> np.ndarray:
    """(1, 52) matrix in BLENDSHAPE_NAMES order; missing blendshapes count as 0."""
    return np.array([[float(scores.get(n, 0.0)) for n in BLENDSHAPE_NAMES]])


def features_from_blendshapes(
    scores: Mapping[str, float], extended: bool = False
) -> np.ndarray:
    """Feature vector (len(FEATURE_NAMES),) of one face; missing blendshapes count as 0."""
    return features_from_matrix(blendshape_row(scores), BLENDSHAPE_NAMES, extended)[0]
