"""Fitting the fusion of the blendshape mapping and the expression network (dev-only).

Owns choosing the `[fusion]` constants (`performance.emotion.fusion`) on labelled tables that
carry both readers' outputs (`tools/expression_table.py` writes them): for every candidate of
a small grid (the two weights, how much of the network's training prior is divided out) and
class offsets found by coordinate ascent, the fused reading of every face is scored with
the blendshape model's *out-of-fold* probabilities (the cross-validation folds of
`calibrate`), so no face is read by a blendshape model fitted on it. The candidate is chosen
by the caller's objective (`calibrate._objective`: the mean over the tables of balanced
accuracy less twice the shortfall of neutral recall below 0.6). The population's resting
levels (the network's evidence on neutral faces; the fused valence/arousal at rest) are
then measured on the neutral rows. `calibrate` scores the fused reader by nested
cross-validation: the fusion chosen without each fold reads that fold.
"""

from __future__ import annotations

import csv
import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from performance.core.errors import InputError
from performance.core.types import EMOTIONS
from performance.emotion.fusion import Fusion

if TYPE_CHECKING:
    from performance.emotion.calibrate import Scores

NETWORK_COLUMNS = tuple(f"net_{name}" for name in EMOTIONS)
FER2013_TRAINING_COUNTS: dict[str, int] = {
    "angry": 3995, "disgusted": 436, "fearful": 4097, "happy": 7215, "sad": 4830,
    "surprised": 3171, "neutral": 4965,
}
"""Class counts of FER2013's training split, the network's training data (the prior)."""
NETWORK_PRIOR = np.array([FER2013_TRAINING_COUNTS[name] for name in EMOTIONS], dtype=float)

GRID = {
    "blendshape_weight": (0.25, 0.5, 0.75, 1.0),
    "network_weight": (0.5, 0.75, 1.0, 1.5),
    "prior_power": (0.0, 0.5, 1.0),
}
OFFSET_STEPS = (-0.5, -0.25, 0.25, 0.5)  # tried on each class's offset, three rounds
OFFSET_ROUNDS = 3


def has_network_columns(path: Path) -> bool:
    """True when the table carries the expression network's probabilities."""
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            header = next(csv.reader(fh), [])
    except OSError as exc:
        raise InputError(path, f"cannot be read ({exc.strerror})") from None
    return all(name in header for name in NETWORK_COLUMNS)


def read_network(paths: Sequence[Path]) -> np.ndarray:
    """The network columns of the detected, known-label rows (the rows `read_tables` keeps,
    in the same order)."""
    out = []
    for path in paths:
        with open(path, newline="", encoding="utf-8") as fh:
            for line, row in enumerate(csv.DictReader(fh), start=2):
                if row["detected"].strip() not in ("1", "1.0") or row["label"] not in EMOTIONS:
                    continue
                try:
                    values = [float(row[c]) for c in NETWORK_COLUMNS]
                except (TypeError, ValueError):
                    raise InputError(f"{path}:{line}", "the network's columns must be "
                                     "numbers on every detected row") from None
                if not sum(values) > 0:
                    raise InputError(f"{path}:{line}", "the network's reading is empty (was "
                                     "the table made without the expression network?)")
                out.append(values)
    return np.array(out)


def _fusion(params: dict[str, float], offset: np.ndarray) -> Fusion:
    return Fusion(blendshape_weight=params["blendshape_weight"],
                  network_weight=params["network_weight"], prior=NETWORK_PRIOR,
                  prior_power=params["prior_power"], offset=offset)


Objective = Callable[[np.ndarray], float]
"""Scores the predicted classes of every row (higher is better)."""


def fit_fusion(blend_oof: np.ndarray, network: np.ndarray, y: np.ndarray,
               circumplex: np.ndarray, objective: Objective) -> Fusion:
    """The chosen Fusion, with its resting levels.

    For each candidate of GRID the class offsets are found by coordinate ascent from zero
    (each class's offset moved by OFFSET_STEPS while the objective improves)."""
    neutral = y == EMOTIONS.index("neutral")
    best: tuple[float, dict[str, float], np.ndarray] | None = None
    for values in itertools.product(*GRID.values()):
        params = dict(zip(GRID, values, strict=True))
        offset = np.zeros(len(EMOTIONS))
        score = objective(_fusion(params, offset).combine(blend_oof, network).argmax(axis=1))
        for _ in range(OFFSET_ROUNDS):
            for k, step in itertools.product(range(len(EMOTIONS)), OFFSET_STEPS):
                moved = offset.copy()
                moved[k] += step
                pred = _fusion(params, moved).combine(blend_oof, network).argmax(axis=1)
                value = objective(pred)
                if value > score:
                    score, offset = value, moved
        if best is None or score > best[0]:
            best = (score, params, offset)
    assert best is not None
    chosen = _fusion(best[1], best[2])
    rest_level = chosen.network_evidence(network[neutral]).mean(axis=0)
    at_rest = chosen.combine(blend_oof[neutral], network[neutral]) @ circumplex
    fusion = Fusion(chosen.blendshape_weight, chosen.network_weight, NETWORK_PRIOR,
                    chosen.prior_power, chosen.offset, rest_level, REST_WEIGHT,
                    at_rest.mean(axis=0))
    return fusion


REST_WEIGHT = 0.5
"""Share of a face's own learned network resting level taken out live (set by design: the
development data are stills, which have no resting level of their own to learn)."""


def toml_number(x: float) -> str:
    """A number as TOML writes it here: 6 significant digits, always a float."""
    s = f"{x:.6g}"
    return s if any(ch in s for ch in ".en") else s + ".0"


def toml_array(xs: Sequence[float] | np.ndarray) -> str:
    """Numbers as a one-line TOML array."""
    return "[" + ", ".join(toml_number(float(x)) for x in xs) + "]"


def fusion_toml(fusion: Fusion, results: Mapping[str, Sequence[Scores]]) -> list[str]:
    """The `[fusion]` table and its cross-validated figures, as TOML lines."""
    lines = ["", "# Fusion with the expression network (performance.emotion.fusion): chosen on",
             "# out-of-fold blendshape readings for balanced accuracy and neutral recall.",
             "[fusion]",
             f"blendshape_weight = {toml_number(fusion.blendshape_weight)}",
             f"network_weight = {toml_number(fusion.network_weight)}",
             f"prior = {toml_array(NETWORK_PRIOR)}  # FER2013 training counts, in [model] classes",
             f"prior_power = {toml_number(fusion.prior_power)}",
             f"offset = {toml_array(fusion.offset)}",
             f"rest_level = {toml_array(fusion.rest_level)}  # network evidence on resting faces",
             f"rest_weight = {toml_number(fusion.rest_weight)}  # of a face's own level",
             f"rest_offset = {toml_array(fusion.rest_offset)}  # fused valence, arousal at rest"]
    for reader, table in results.items():
        for s in table:
            lines += ["", f'[meta.fusion_cv.{reader}."{s.name}"]  # n = {sum(s.n)}']
            lines += [f"{e} = {'nan' if math.isnan(r) else f'{r:.4f}'}"
                      for e, r in zip(EMOTIONS, s.recall, strict=True)]
            lines += [f"accuracy = {s.accuracy:.4f}",
                      f"balanced_accuracy = {s.balanced_accuracy:.4f}"]
    return lines
