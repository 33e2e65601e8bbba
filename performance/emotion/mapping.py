"""The calibrated face -> emotion mapping used at runtime (numpy + tomllib only).

This module owns reading `calibration/emotion.toml` (written by `performance.emotion.calibrate`)
and applying it: features relative to a neutral baseline -> a linear softmax over EMOTIONS;
with the expression network's reading of the face, the two are fused (`fusion.py`, the
`[fusion]` table) as the `reader` setting asks; then valence/arousal as the
probability-weighted mean of each class's circumplex coordinates, less the resting face's own
mean (`rest_offset`), so a face at rest reads (0, 0).
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from performance.config import CALIBRATION, Reader
from performance.core.blendshapes import BLENDSHAPE_NAMES
from performance.core.errors import ConfigError
from performance.core.files import parse_toml, read_text, reason
from performance.core.types import EMOTIONS, EmotionReading
from performance.emotion.features import EXTENDED_FEATURE_NAMES, FeaturePlan, blendshape_row
from performance.emotion.fusion import Fusion, softmax


@dataclass(frozen=True, eq=False)
class Readings:
    """The emotion of many faces as rows, one per face (what `EmotionReading` holds)."""

    probabilities: np.ndarray    # (faces, len(EMOTIONS))
    valence_arousal: np.ndarray  # (faces, 2), in [-1, 1]

    def reading(self, row: int) -> EmotionReading:
        """One face's reading."""
        valence, arousal = self.valence_arousal[row].tolist()
        return EmotionReading(tuple(self.probabilities[row].tolist()), valence, arousal)

    def readings(self) -> list[EmotionReading]:
        """Every face's reading, in row order."""
        return [EmotionReading(tuple(p), v, a) for p, (v, a)
                in zip(self.probabilities.tolist(), self.valence_arousal.tolist(), strict=True)]


@dataclass(frozen=True, eq=False)
class EmotionMapping:
    """A linear softmax model on baseline-relative features, plus circumplex coordinates."""

    feature_names: tuple[str, ...]
    population_baseline: np.ndarray      # (n_features,) resting/neutral face
    weights: np.ndarray                  # (len(EMOTIONS), n_features)
    bias: np.ndarray                     # (len(EMOTIONS),)
    circumplex: np.ndarray               # (len(EMOTIONS), 2): valence, arousal per class
    rest_offset: np.ndarray = field(default_factory=lambda: np.zeros(2))  # (valence, arousal)
    resting_blendshapes: dict[str, float] = field(default_factory=dict)
    fusion: Fusion | None = None  # how the expression network joins in (None: it cannot)
    source: str = "<memory>"
    _plan: FeaturePlan = field(init=False, repr=False)

    def __post_init__(self) -> None:
        n = len(self.feature_names)
        unknown = [f for f in self.feature_names if f not in EXTENDED_FEATURE_NAMES]
        if unknown:
            raise ValueError(f"unknown feature names {unknown}")
        k = len(EMOTIONS)
        shapes = {
            "population_baseline": (self.population_baseline.shape, (n,)),
            "weights": (self.weights.shape, (k, n)),
            "bias": (self.bias.shape, (k,)),
            "circumplex": (self.circumplex.shape, (k, 2)),
            "rest_offset": (self.rest_offset.shape, (2,)),
        }
        for name, (got, want) in shapes.items():
            if got != want:
                raise ValueError(f"{name} has shape {got}, expected {want}")
        object.__setattr__(self, "_plan", FeaturePlan(self.feature_names))

    @classmethod
    def load(cls, path: Path | None = None) -> EmotionMapping:
        """Read a calibration TOML; raises ConfigError naming the file and key if malformed."""
        path = CALIBRATION if path is None else Path(path)
        where = _display(path)
        try:  # a FIFO or a device is refused at once, never read; deep nesting is a TOML error
            data = parse_toml(read_text(path))
        except FileNotFoundError:
            raise ConfigError(
                f"{where}: file not found (run `essence calibrate emotion`)") from None
        except OSError as exc:
            raise ConfigError(f"{where}: cannot be read ({reason(exc)})") from None
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{where}: not UTF-8 text ({exc.reason} at byte {exc.start})"
                              ) from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{where}: not valid TOML ({exc})") from None
        return _parse(data, where)

    def features(self, scores: Mapping[str, float]) -> np.ndarray:
        """This mapping's feature vector (absolute, not baseline-relative) for one face;
        missing blendshapes count as 0."""
        return np.asarray(self._plan(blendshape_row(scores))[0])

    def features_matrix(self, matrix: np.ndarray,
                        names: Sequence[str] = BLENDSHAPE_NAMES) -> np.ndarray:
        """Feature rows for a (faces, len(names)) matrix of blendshape scores."""
        return self._plan(matrix, names)

    def predict(
        self, scores: Mapping[str, float], baseline: np.ndarray | None = None, *,
        expression: Sequence[float] | None = None, reader: Reader = Reader.FUSED,
    ) -> EmotionReading:
        """Emotion of one face from its blendshape scores (baseline: its resting features)
        and, when given, the expression network's probabilities."""
        return self.predict_features(self.features(scores), baseline, expression=expression,
                                     reader=reader)

    def predict_features(
        self, features: np.ndarray, baseline: np.ndarray | None = None, *,
        expression: Sequence[float] | None = None, rest: np.ndarray | None = None,
        reader: Reader = Reader.FUSED,
    ) -> EmotionReading:
        """Emotion from a feature vector (e.g. smoothed); `baseline` defaults to the population.
        `expression` (the network's probabilities) and `rest` (the face's learned network
        resting level) join in as `reader` says; without them the blendshapes read alone.
        One face through `read_rows`."""
        f = np.asarray(features, dtype=np.float64)
        b = self.population_baseline if baseline is None else np.asarray(baseline, np.float64)
        if f.shape != self.population_baseline.shape or b.shape != f.shape:
            want = self.population_baseline.shape
            raise ValueError(f"features {f.shape} / baseline {b.shape}, expected {want}")
        network = None if expression is None else np.asarray(expression, np.float64)[None]
        rests = None if rest is None else np.asarray(rest, np.float64)[None]
        return self.read_rows(f[None], b, network=network, rest=rests, reader=reader).reading(0)

    def read_rows(
        self, features: np.ndarray, baseline: np.ndarray | None = None, *,
        network: np.ndarray | None = None, networked: np.ndarray | None = None,
        rest: np.ndarray | None = None, reader: Reader = Reader.FUSED,
    ) -> Readings:
        """The emotion of many faces at once: `features` (faces, n_features) against
        `baseline` (one for all, or a row each); `network` (faces, len(EMOTIONS)) the
        network's probabilities for the rows `networked` says it read (default: all), and
        `rest` their learned resting levels."""
        b = self.population_baseline if baseline is None else baseline
        blend = self.probabilities(np.asarray(features, dtype=np.float64) - b)
        evidence = None
        if self.fusion is not None and network is not None:
            evidence = self.fusion.network_evidence(network)
        return self.fuse_rows(blend, evidence, networked=networked, rest=rest, reader=reader)

    def fuse_rows(
        self, blend: np.ndarray, evidence: np.ndarray | None = None, *,
        networked: np.ndarray | None = None, rest: np.ndarray | None = None,
        reader: Reader = Reader.FUSED,
    ) -> Readings:
        """`read_rows` from the blendshape reader's probabilities (`probabilities`) and the
        network's readings as `Fusion.network_evidence` rows: the network joins in as
        `reader` says, then valence and arousal."""
        reader = Reader(reader)
        fusion, probs, offset = self.fusion, blend, self.rest_offset
        if fusion is not None and evidence is not None and reader is not Reader.BLENDSHAPES:
            if networked is None or networked.all():
                probs, offset = fusion.combine_evidence(
                    blend if reader is Reader.FUSED else None, evidence, rest), fusion.rest_offset
            elif networked.any():
                rows = np.flatnonzero(networked)
                fused = fusion.combine_evidence(
                    blend[rows] if reader is Reader.FUSED else None, evidence[rows],
                    None if rest is None else rest[rows])
                probs, offset = blend.copy(), np.tile(self.rest_offset, (len(blend), 1))
                probs[rows], offset[rows] = fused, fusion.rest_offset
        valence_arousal = np.minimum(np.maximum(probs @ self.circumplex - offset, -1.0), 1.0)
        return Readings(probs, valence_arousal)

    def probabilities(self, relative: np.ndarray) -> np.ndarray:
        """Softmax class probabilities for baseline-relative features; rows or one vector."""
        return softmax(relative @ self.weights.T + self.bias)


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(CALIBRATION.parents[1]))
    except ValueError:
        return str(path)


def _table(data: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: [{key}] table is missing")
    return value


def _numbers(value: Any, n: int, where: str, key: str) -> list[float]:
    if not isinstance(value, list):
        raise ConfigError(f"{where}: {key} must be a list of {n} numbers")
    if len(value) != n:
        raise ConfigError(f"{where}: {key} has {len(value)} values, expected {n}")
    out = []
    for i, v in enumerate(value):
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise ConfigError(f"{where}: {key}[{i}] is {v!r}, expected a finite number")
        out.append(float(v))
    return out


def _parse(data: Mapping[str, Any], where: str) -> EmotionMapping:
    names = _table(data, "features", where).get("names")
    if (
        not isinstance(names, list) or not names
        or not all(isinstance(n, str) for n in names)
    ):
        raise ConfigError(f"{where}: [features] names must be a non-empty list of strings")
    unknown = [n for n in names if n not in EXTENDED_FEATURE_NAMES]
    if unknown:
        raise ConfigError(f"{where}: [features] names has unknown features {unknown}")
    if len(set(names)) != len(names):
        raise ConfigError(f"{where}: [features] names has duplicates")
    n = len(names)

    baseline = _table(data, "baseline", where)
    base = _numbers(baseline.get("features"), n, where, "[baseline] features")
    resting = baseline.get("blendshapes", {})
    if not isinstance(resting, dict) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in resting.values()
    ):
        raise ConfigError(f"{where}: [baseline.blendshapes] must map names to numbers")

    model = _table(data, "model", where)
    classes = model.get("classes", list(EMOTIONS))
    if not isinstance(classes, list) or classes != list(EMOTIONS):
        raise ConfigError(f"{where}: [model] classes is {classes}, expected {list(EMOTIONS)}")
    rows = model.get("weights")
    k = len(EMOTIONS)
    if not isinstance(rows, list):
        raise ConfigError(f"{where}: [model] weights must be a list of {k} lists")
    if len(rows) != k:
        raise ConfigError(f"{where}: [model] weights has {len(rows)} rows, expected {k}")
    weights = [
        _numbers(r, n, where, f"[model] weights[{i}] ({EMOTIONS[i]})") for i, r in enumerate(rows)
    ]
    bias = _numbers(model.get("bias"), k, where, "[model] bias")

    circ = _table(data, "circumplex", where)
    coords = []
    for emotion in EMOTIONS:
        va = _numbers(circ.get(emotion), 2, where, f"[circumplex] {emotion}")
        if not all(-1.0 <= x <= 1.0 for x in va):
            raise ConfigError(f"{where}: [circumplex] {emotion} must lie in [-1, 1]")
        coords.append(va)
    offset = _numbers(circ.get("rest_offset", [0.0, 0.0]), 2, where, "[circumplex] rest_offset")
    fusion = _fusion(data["fusion"], where) if "fusion" in data else None

    return EmotionMapping(
        feature_names=tuple(names),
        population_baseline=np.array(base),
        weights=np.array(weights),
        bias=np.array(bias),
        circumplex=np.array(coords),
        rest_offset=np.array(offset),
        resting_blendshapes={str(key): float(v) for key, v in resting.items()},
        fusion=fusion,
        source=where,
    )


def _fusion(table: Any, where: str) -> Fusion:
    """The optional [fusion] table (see `performance.emotion.fusion`)."""
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: [fusion] must be a table")
    k = len(EMOTIONS)

    def number(key: str, default: float) -> float:
        return _numbers([table.get(key, default)], 1, where, f"[fusion] {key}")[0]

    try:
        return Fusion(
            blendshape_weight=number("blendshape_weight", 1.0),
            network_weight=number("network_weight", 1.0),
            prior=np.array(_numbers(table.get("prior"), k, where, "[fusion] prior")),
            prior_power=number("prior_power", 1.0),
            offset=np.array(_numbers(table.get("offset", [0.0] * k), k, where,
                                     "[fusion] offset")),
            rest_level=np.array(_numbers(table.get("rest_level", [0.0] * k), k, where,
                                         "[fusion] rest_level")),
            rest_weight=number("rest_weight", 1.0),
            rest_offset=np.array(_numbers(table.get("rest_offset", [0.0, 0.0]), 2, where,
                                          "[fusion] rest_offset")),
        )
    except ValueError as exc:
        raise ConfigError(f"{where}: [fusion] {exc}") from None
