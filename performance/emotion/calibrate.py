"""Calibration tool: labelled blendshape tables -> `calibration/emotion.toml`.

This module owns fitting and evaluating the emotion mapping (dev-only; scikit-learn is imported
inside `calibrate`, the runtime never needs it). It reads the tables, builds features relative
to the population neutral baseline, picks a feature set and regularisation by stratified
k-fold cross-validated balanced accuracy, fits a class-weighted multinomial logistic
regression with the standardisation folded into plain weights + bias, scores a literal
EMFACS-rule baseline for comparison, and writes the TOML atomically.
"""

from __future__ import annotations

import csv
import io
import json
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np

from performance.config import CALIBRATION_FOLDS
from performance.core.blendshapes import BLENDSHAPE_NAMES
from performance.core.errors import InputError
from performance.core.files import check_writable, read_regular, reason, write_atomic
from performance.core.types import EMOTIONS
from performance.emotion.calibrate_fusion import (
    fit_fusion,
    fusion_toml,
    has_network_columns,
    read_network,
    toml_array,
    toml_number,
)
from performance.emotion.features import (
    EXTENDED_FEATURE_NAMES,
    FEATURE_NAMES,
    features_from_matrix,
)
from performance.emotion.fusion import Fusion, softmax

# Valence, arousal per class (Russell's circumplex, rounded from common placements).
CIRCUMPLEX: dict[str, tuple[float, float]] = {
    "neutral": (0.0, 0.0), "happy": (0.8, 0.45), "sad": (-0.65, -0.35),
    "angry": (-0.6, 0.7), "surprised": (0.15, 0.85), "fearful": (-0.6, 0.65),
    "disgusted": (-0.65, 0.35),
}
_PRODUCTS = ("happy_6_12", "sad_1_15", "surprise_2_5_26", "fear_1_4_20", "anger_4_7_24")
FEATURE_SETS: dict[str, tuple[str, ...]] = {  # simplest first; ties go to the simpler
    "au": tuple(n for n in FEATURE_NAMES if n not in _PRODUCTS),
    "au+emfacs": FEATURE_NAMES,
    "au+emfacs+raw": EXTENDED_FEATURE_NAMES,
}
C_GRID: tuple[float, ...] = (0.003, 0.01, 0.03, 0.1)
TIE_TOLERANCE = 0.005  # balanced accuracy within this of the best counts as a tie
# Literal EMFACS prototypes (AU9 nose wrinkler never fires here, so disgust keeps AU15+16).
EMFACS_RULES: dict[str, tuple[str, ...]] = {
    "happy": ("au6_7_lid_tighten", "au12_lip_corner_pull"),
    "sad": ("au1_inner_brow_raise", "au4_brow_lower", "au15_lip_corner_depress"),
    "surprised": ("au1_inner_brow_raise", "au2_outer_brow_raise", "au5_upper_lid_raise",
                  "au26_jaw_drop"),
    "fearful": ("au1_inner_brow_raise", "au2_outer_brow_raise", "au4_brow_lower",
                "au5_upper_lid_raise", "au6_7_lid_tighten", "au20_lip_stretch", "au26_jaw_drop"),
    "angry": ("au4_brow_lower", "au5_upper_lid_raise", "au6_7_lid_tighten", "au23_24_lip_press"),
    "disgusted": ("au15_lip_corner_depress", "au16_lower_lip_depress"),
}
EMFACS_THRESHOLD = 0.1  # an AU is "on" when it is this far above the neutral baseline


@dataclass(frozen=True)
class Scores:
    """Per-class recall and overall accuracies of one predictor on one data set."""

    name: str
    n: tuple[int, ...]
    recall: tuple[float, ...]   # nan where the class has no rows
    accuracy: float
    balanced_accuracy: float


@dataclass(frozen=True)
class CalibrationReport:
    """What `calibrate` chose and how well it did (cross-validated)."""

    out: Path
    folds: int
    feature_set: str
    n_features: int
    c: float
    model: tuple[Scores, ...]       # per data set, then "all"
    emfacs: tuple[Scores, ...]      # the literal rule baseline, same layout
    candidates: tuple[tuple[str, float, float, float], ...]  # set, C, accuracy, balanced
    readers: dict[str, tuple[Scores, ...]] = field(default_factory=dict)  # with the network

    def to_markdown(self) -> str:
        """Per-class recall table (model, per data set and pooled) plus the rule baseline."""
        head = "| class | " + " | ".join(f"n ({s.name}) | recall ({s.name})" for s in self.model)
        lines = [head + " |", "|---" * (1 + 2 * len(self.model)) + "|"]
        for i, emotion in enumerate(EMOTIONS):
            cells = [f"{s.n[i]} | {pct(s.recall[i])}" for s in self.model]
            lines.append(f"| {emotion} | " + " | ".join(cells) + " |")
        for label, attr in (("overall accuracy", "accuracy"),
                            ("balanced accuracy", "balanced_accuracy")):
            cells = [f"{sum(s.n)} | {pct(getattr(s, attr))}" for s in self.model]
            lines.append(f"| **{label}** | " + " | ".join(cells) + " |")
        cells = [f"{sum(s.n)} | {pct(s.accuracy)} (bal. {pct(s.balanced_accuracy)})"
                 for s in self.emfacs]
        lines.append("| EMFACS rules | " + " | ".join(cells) + " |")
        lines += ["", f"Model: multinomial logistic regression, feature set `{self.feature_set}` "
                  f"({self.n_features} features), C = {self.c:g}, {self.folds}-fold stratified CV.",
                  "", "| feature set | C | CV accuracy | CV balanced accuracy |",
                  "|---|---|---|---|"]
        lines += [f"| {fs} | {c:g} | {pct(a)} | {pct(b)} |" for fs, c, a, b in self.candidates]
        for reader, table in self.readers.items():
            lines += ["", f"Reader `{reader}` (cross-validated):", "",
                      "| data set | n | " + " | ".join(EMOTIONS) + " | accuracy | balanced |",
                      "|---" * (4 + len(EMOTIONS)) + "|"]
            lines += [f"| {s.name} | {sum(s.n)} | " + " | ".join(pct(r) for r in s.recall)
                      + f" | {pct(s.accuracy)} | {pct(s.balanced_accuracy)} |" for s in table]
        return "\n".join(lines) + "\n"


TABLE_LIMIT = 1 << 30
"""The largest table read (bytes)."""


def pct(x: float) -> str:
    """A share as a percentage for the reports ("–" for nan)."""
    return "–" if math.isnan(x) else f"{100 * x:.1f} %"


def read_tables(csv_paths: Sequence[Path]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(blendshapes (rows, 52), class index, data-set index) of detected rows in EMOTIONS."""
    mats, labels, sets = [], [], []
    for k, path in enumerate(csv_paths):
        try:  # a FIFO or a device is refused at once, never read for ever
            with io.StringIO(read_regular(path, limit=TABLE_LIMIT).decode("utf-8"),
                             newline="") as fh:
                reader = csv.DictReader(fh)
                missing = [n for n in ("label", "detected", *BLENDSHAPE_NAMES)
                           if n not in (reader.fieldnames or [])]
                if missing:
                    raise InputError(path, f"missing columns {missing[:5]}")
                for row in reader:
                    if row["detected"].strip() not in ("1", "1.0") or row["label"] not in EMOTIONS:
                        continue
                    mats.append([float(row[n] or 0.0) for n in BLENDSHAPE_NAMES])
                    labels.append(EMOTIONS.index(row["label"]))
                    sets.append(k)
        except OSError as exc:
            raise InputError(path, f"cannot be read ({reason(exc)})") from None
        except UnicodeDecodeError as exc:
            raise InputError(path, f"not UTF-8 text ({exc.reason} at byte {exc.start})"
                             ) from None
        except (ValueError, csv.Error) as exc:
            raise InputError(path, f"bad number ({exc})") from None
    if not labels:
        raise InputError(", ".join(map(str, csv_paths)), "no detected rows with a known label")
    return np.array(mats), np.array(labels), np.array(sets)


def class_scores(name: str, y: np.ndarray, pred: np.ndarray) -> Scores:
    """Per-class recall, accuracy and balanced accuracy of predicted classes `pred`."""
    n = tuple(int((y == k).sum()) for k in range(len(EMOTIONS)))
    recall = tuple(float((pred[y == k] == k).mean()) if n[k] else math.nan
                   for k in range(len(EMOTIONS)))
    present = [r for r in recall if not math.isnan(r)]
    return Scores(name, n, recall, float((pred == y).mean()), float(np.mean(present)))


def emfacs_predict(relative: np.ndarray) -> np.ndarray:
    """Literal EMFACS: the class whose prototype AUs are most "on" (>= half), else neutral."""
    col = {n: i for i, n in enumerate(FEATURE_NAMES)}
    on = relative[:, : len(FEATURE_NAMES)] > EMFACS_THRESHOLD
    share = np.zeros((len(relative), len(EMOTIONS)))
    share[:, 0] = 0.5
    for emotion, aus in EMFACS_RULES.items():
        share[:, EMOTIONS.index(emotion)] = on[:, [col[a] for a in aus]].mean(axis=1)
    return np.asarray(share.argmax(axis=1))


def _folds(y: np.ndarray, d: np.ndarray, folds: int, seed: int) -> list[tuple[np.ndarray, ...]]:
    from sklearn.model_selection import StratifiedKFold

    strata = y * 100 + d
    if np.unique(strata, return_counts=True)[1].min() < folds:
        strata = y
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        skf = StratifiedKFold(folds, shuffle=True, random_state=seed)
        return [tuple(s) for s in skf.split(np.zeros(len(y)), strata)]


def _fit(x: np.ndarray, y: np.ndarray, c: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Standardise + class-weighted multinomial LR; returns plain (weights (7, n), bias (7,))."""
    from sklearn.linear_model import LogisticRegression

    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    lr = LogisticRegression(C=c, class_weight="balanced", max_iter=3000, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lr.fit((x - mean) / scale, y)
    weights = np.zeros((len(EMOTIONS), x.shape[1]))
    bias = np.full(len(EMOTIONS), -30.0)  # a class absent from the data is never predicted
    coef, intercept = lr.coef_, lr.intercept_
    if len(lr.classes_) == 2:  # binary LR returns one row: expand to a softmax pair
        coef, intercept = np.vstack([-coef / 2, coef / 2]), np.array([-1, 1]) * intercept / 2
    for row, k in enumerate(lr.classes_):
        weights[k] = coef[row] / scale
        bias[k] = intercept[row] - coef[row] @ (mean / scale)
    return weights, bias


def _predict(weights: np.ndarray, bias: np.ndarray, x: np.ndarray) -> np.ndarray:
    return np.asarray((x @ weights.T + bias).argmax(axis=1))


def calibrate(
    csv_paths: Sequence[Path], out: Path, folds: int = CALIBRATION_FOLDS, seed: int = 0, *,
    fusion_tables: Sequence[Path] = (),
) -> CalibrationReport:
    """Fit the mapping on the tables, cross-validate it, write `out` (TOML, atomically).

    The fusion with the expression network is fitted on `fusion_tables` (default: the
    tables themselves when they carry the network's columns): their faces are read through
    the chosen blendshape recipe (feature set, C, this population baseline) refitted out of
    fold on them, so no face is read by a model fitted on it."""
    paths = [Path(p) for p in csv_paths]
    # before the fit: a target that cannot be written fails now
    check_writable(Path(out), example="emotion.toml")
    blend, y, d = read_tables(paths)
    if y[y == 0].size == 0:
        raise InputError(", ".join(map(str, paths)), "no neutral rows for the baseline")
    resting = np.median(blend[y == 0], axis=0)
    full = features_from_matrix(blend, BLENDSHAPE_NAMES, extended=True)
    baseline = features_from_matrix(resting[None, :], BLENDSHAPE_NAMES, extended=True)[0]
    relative = full - baseline
    splits = _folds(y, d, folds, seed)

    candidates: list[tuple[str, float, float, float]] = []
    oof: dict[tuple[str, float], np.ndarray] = {}
    for set_name, names in FEATURE_SETS.items():
        cols = [EXTENDED_FEATURE_NAMES.index(n) for n in names]
        for c in C_GRID:
            pred = np.zeros_like(y)
            for train, test in splits:
                w, b = _fit(relative[train][:, cols], y[train], c, seed)
                pred[test] = _predict(w, b, relative[test][:, cols])
            s = class_scores("all", y, pred)
            candidates.append((set_name, c, s.accuracy, s.balanced_accuracy))
            oof[(set_name, c)] = pred
    best = max(bal for *_, bal in candidates)
    set_name, c, _, _ = next(cand for cand in candidates if cand[3] >= best - TIE_TOLERANCE)
    names = FEATURE_SETS[set_name]
    cols = [EXTENDED_FEATURE_NAMES.index(n) for n in names]
    weights, bias = _fit(relative[:, cols], y, c, seed)

    fused_paths = [Path(p) for p in fusion_tables] or (
        paths if all(has_network_columns(p) for p in paths) else [])
    fusion_lines: list[str] = []
    readers: dict[str, tuple[Scores, ...]] = {}
    if fused_paths:
        readers, fusion_lines = _fit_fusion_tables(fused_paths, baseline, cols, c, folds, seed)

    report = CalibrationReport(
        out=Path(out), folds=folds, feature_set=set_name, n_features=len(names), c=c,
        model=_per_set(paths, y, d, oof[(set_name, c)]),
        emfacs=_per_set(paths, y, d, emfacs_predict(relative)),
        candidates=tuple(candidates), readers=readers,
    )
    resting_map = {n: float(v) for n, v in zip(BLENDSHAPE_NAMES, resting, strict=True)}
    text = _toml(report, paths, names, baseline[cols], resting_map, weights, bias)
    write_atomic(Path(out), text + "\n".join(fusion_lines) + ("\n" if fusion_lines else ""))
    return report


def _fit_fusion_tables(paths: Sequence[Path], baseline: np.ndarray, cols: list[int], c: float,
                       folds: int, seed: int) -> tuple[dict[str, tuple[Scores, ...]], list[str]]:
    """The readers' cross-validated scores on `paths` and the `[fusion]` TOML lines."""
    missing = [str(p) for p in paths if not has_network_columns(p)]
    if missing:
        raise InputError(", ".join(missing), "no net_* columns (tools/expression_table.py "
                                              "writes tables with the network's reading)")
    blend, y, d = read_tables(paths)
    relative = features_from_matrix(blend, BLENDSHAPE_NAMES, extended=True) - baseline
    splits = _folds(y, d, folds, seed)
    blend_oof = np.zeros((len(y), len(EMOTIONS)))
    for train, test in splits:
        w, b = _fit(relative[train][:, cols], y[train], c, seed)
        blend_oof[test] = softmax(relative[test][:, cols] @ w.T + b)
    network = read_network(paths)
    circumplex = np.array([CIRCUMPLEX[e] for e in EMOTIONS])
    fused = np.zeros_like(y)  # nested: the fusion chosen without a fold reads that fold
    for train, test in splits:
        chosen = fit_fusion(blend_oof[train], network[train], y[train], circumplex,
                            _objective(y[train], d[train]))
        fused[test] = chosen.combine(blend_oof[test], network[test]).argmax(axis=1)
    fusion = fit_fusion(blend_oof, network, y, circumplex, _objective(y, d))
    alone = Fusion(0.0, 1.0, fusion.prior, 0.0)  # the network's own reading, nothing fitted
    readers = {"blendshapes": _per_set(paths, y, d, blend_oof.argmax(axis=1)),
               "network": _per_set(paths, y, d, alone.combine(None, network).argmax(axis=1)),
               "fused": _per_set(paths, y, d, fused)}
    return readers, fusion_toml(fusion, readers)


def _per_set(paths: Sequence[Path], y: np.ndarray, d: np.ndarray,
             pred: np.ndarray) -> tuple[Scores, ...]:
    """Scores per table (named by its file, less `_blendshapes`), then pooled as "all"."""
    each = [class_scores(p.stem.removesuffix("_blendshapes"), y[d == k], pred[d == k])
            for k, p in enumerate(paths)]
    return (*each, class_scores("all", y, pred)) if len(paths) > 1 else tuple(each)


NEUTRAL_FLOOR = 0.6  # resting faces must read neutral at least this often, in every table


def _objective(y: np.ndarray, d: np.ndarray) -> Callable[[np.ndarray], float]:
    """What the fusion is chosen for, on every table alike (not tuned to one): the mean of
    the tables' balanced accuracies, less twice each table's shortfall of neutral recall
    below NEUTRAL_FLOOR."""
    sets = [d == k for k in np.unique(d)]
    neutral = EMOTIONS.index("neutral")

    def objective(pred: np.ndarray) -> float:
        total = 0.0
        for rows in sets:
            s = class_scores("", y[rows], pred[rows])
            total += s.balanced_accuracy - 2.0 * max(0.0, NEUTRAL_FLOOR - s.recall[neutral])
        return total / len(sets)

    return objective


def _toml(report: CalibrationReport, paths: Sequence[Path], names: Sequence[str],
          baseline: np.ndarray, resting: dict[str, float], weights: np.ndarray,
          bias: np.ndarray) -> str:
    every = report.model[-1]
    rule = report.emfacs[-1]
    lines = [
        "# Essence rig: blendshape -> emotion mapping (generated; do not edit by hand).",
        "# Recalibrate: essence calibrate emotion /path/*_blendshapes.csv",
        "#   --fusion /path/*_expression.csv --out calibration/emotion.toml",
        "#   (docs/emotion-mapping.md says how the tables are made)",
        "# Model: p = softmax(weights @ (features - baseline) + bias) over [model] classes;",
        "# features are performance.emotion.features (FACS action-unit-like signals).",
        f"# {report.folds}-fold stratified CV on {sum(every.n)} faces: accuracy "
        f"{pct(every.accuracy)}, balanced accuracy {pct(every.balanced_accuracy)} "
        f"(literal EMFACS rules: {pct(rule.accuracy)}, balanced {pct(rule.balanced_accuracy)}).",
        "# Per-class recall: " + ", ".join(
            f"{e} {pct(r)}" for e, r in zip(EMOTIONS, every.recall, strict=True)),
        "",
        "[meta]",
        'produced_by = "performance.emotion.calibrate (essence calibrate emotion)"',
        f'date = "{date.today().isoformat()}"',
        f"datasets = {json.dumps([p.name for p in paths])}",
        f"rows = {json.dumps([sum(s.n) for s in report.model[: len(paths)]])}",
        'model = "multinomial logistic regression, class_weight=balanced, '
        'standardisation folded in"',
        f'feature_set = "{report.feature_set}"',
        f"C = {toml_number(report.c)}",
        f"cv_folds = {report.folds}",
        f"cv_accuracy = {every.accuracy:.4f}",
        f"cv_balanced_accuracy = {every.balanced_accuracy:.4f}",
        f"emfacs_rule_accuracy = {rule.accuracy:.4f}",
        f"emfacs_rule_balanced_accuracy = {rule.balanced_accuracy:.4f}",
    ]
    for s in report.model:
        lines += ["", f"[meta.cv_recall.{json.dumps(s.name)}]  # n = {sum(s.n)}"]
        lines += [f"{e} = {'nan' if math.isnan(r) else f'{r:.4f}'}  # n = {n}"
                  for e, r, n in zip(EMOTIONS, s.recall, s.n, strict=True)]
        lines += [f"accuracy = {s.accuracy:.4f}", f"balanced_accuracy = {s.balanced_accuracy:.4f}"]
    lines += ["", "[features]", "names = ["]
    lines += [f'  "{n}",' for n in names]
    lines += ["]", "",
              "# Population resting face (median of the neutral rows), in [features] order.",
              "[baseline]", f"features = {toml_array(baseline)}", "", "[baseline.blendshapes]"]
    lines += [f"{n} = {toml_number(v)}" for n, v in resting.items()]
    lines += ["", "[model]", f"classes = {json.dumps(list(EMOTIONS))}", "weights = ["]
    lines += [f"  {toml_array(w)},  # {e}" for e, w in zip(EMOTIONS, weights, strict=True)]
    lines += ["]", f"bias = {toml_array(bias)}", "",
              "# Valence, arousal per class. The reading's valence/arousal is the probability-",
              "# weighted mean of these points: neutral sits at the origin, so an uncertain or",
              "# weak expression is pulled toward the rest point - that is the intensity term;",
              "# there is no other.",
              "[circumplex]"]
    lines += [f"{e} = {toml_array(CIRCUMPLEX[e])}" for e in EMOTIONS]
    logits = bias - (bias.max())
    rest = np.exp(logits) / np.exp(logits).sum()  # the reading of the population resting face
    offset = rest @ np.array([CIRCUMPLEX[e] for e in EMOTIONS])
    lines += ["# Subtracted from every reading: the weighted mean at the population resting face",
              "# (class weighting leaves some probability on the negative classes at rest).",
              f"rest_offset = {toml_array(offset)}"]
    return "\n".join(lines) + "\n"
