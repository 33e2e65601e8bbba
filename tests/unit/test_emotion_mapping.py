"""The blendshape -> emotion mapping: features, the shipped calibration, loading, calibrating."""

from __future__ import annotations

import csv
import math
import random
from pathlib import Path

import numpy as np
import pytest

from performance.config import CALIBRATION
from performance.core.blendshapes import BLENDSHAPE_NAMES
from performance.core.errors import ConfigError
from performance.core.types import EMOTIONS
from performance.emotion.calibrate import calibrate
from performance.emotion.features import (
    EXTENDED_FEATURE_NAMES,
    FEATURE_NAMES,
    FeaturePlan,
    _direct,
    blendshape_matrix,
    blendshape_row,
    features_from_blendshapes,
    features_from_matrix,
)
from performance.emotion.mapping import EmotionMapping

DATASETS = Path(__file__).resolve().parents[3] / "shared" / "datasets"  # beside the checkout
TABLE = DATASETS / "fer2013_privatetest_blendshapes.csv"


@pytest.fixture(scope="module")
def mapping() -> EmotionMapping:
    return EmotionMapping.load()


def face(mapping: EmotionMapping, **scores: float) -> dict[str, float]:
    """The population resting face with some blendshapes set."""
    out = dict(mapping.resting_blendshapes)
    out.update(scores)
    return out


def check_reading(reading) -> None:  # type: ignore[no-untyped-def]
    assert len(reading.probabilities) == len(EMOTIONS)
    assert math.isclose(sum(reading.probabilities), 1.0, abs_tol=1e-9)
    assert all(0.0 <= p <= 1.0 for p in reading.probabilities)
    assert -1.0 <= reading.valence <= 1.0
    assert -1.0 <= reading.arousal <= 1.0


def test_features_vector_and_matrix_agree() -> None:
    rng = np.random.default_rng(1)
    m = rng.uniform(0, 1, (5, 52))
    rows = features_from_matrix(m, BLENDSHAPE_NAMES)
    assert rows.shape == (5, len(FEATURE_NAMES))
    one = features_from_blendshapes(dict(zip(BLENDSHAPE_NAMES, m[2], strict=True)))
    np.testing.assert_allclose(one, rows[2])
    smile = features_from_blendshapes({"mouthSmileLeft": 0.8, "mouthSmileRight": 0.4})
    assert smile[FEATURE_NAMES.index("au12_lip_corner_pull")] == pytest.approx(0.6)
    assert smile[FEATURE_NAMES.index("asym_smile")] == pytest.approx(0.4)
    with pytest.raises(ValueError, match="mouthSmileLeft"):
        drop = BLENDSHAPE_NAMES.index("mouthSmileLeft")
        names = BLENDSHAPE_NAMES[:drop] + BLENDSHAPE_NAMES[drop + 1:]
        features_from_matrix(np.delete(m, drop, axis=1), names)


def test_compiled_features_equal_the_definitions_read_column_by_column() -> None:
    """`FeaturePlan` (two matrix products) gives what `_features` says, for the full and
    extended sets, a chosen subset in another order, columns in another order, and a matrix
    with non-finite scores (read the direct way, so a NaN stays in its own features)."""
    rng = np.random.default_rng(2)
    m = rng.uniform(0, 1, (40, 52))
    for extended in (False, True):
        np.testing.assert_allclose(features_from_matrix(m, BLENDSHAPE_NAMES, extended),
                                   _direct(m, BLENDSHAPE_NAMES, extended), rtol=0, atol=1e-14)
    chosen = list(reversed(EXTENDED_FEATURE_NAMES))[::3]
    order = rng.permutation(52)
    names = [BLENDSHAPE_NAMES[i] for i in order]
    want = _direct(m, BLENDSHAPE_NAMES, True)[:, [EXTENDED_FEATURE_NAMES.index(f) for f in chosen]]
    np.testing.assert_allclose(FeaturePlan(chosen)(m[:, order], names), want, rtol=0, atol=1e-14)
    m[3, BLENDSHAPE_NAMES.index("jawForward")] = np.nan  # a blendshape no feature uses
    m[5, BLENDSHAPE_NAMES.index("mouthSmileLeft")] = np.inf
    got = features_from_matrix(m, BLENDSHAPE_NAMES, extended=True)
    np.testing.assert_array_equal(got, _direct(m, BLENDSHAPE_NAMES, True))
    assert np.isfinite(got[3]).all() and not np.isfinite(got[5]).all()
    assert features_from_matrix(m[:0], BLENDSHAPE_NAMES).shape == (0, len(FEATURE_NAMES))


def test_smile_reads_happy_with_positive_valence(mapping: EmotionMapping) -> None:
    r = mapping.predict(face(mapping, mouthSmileLeft=0.8, mouthSmileRight=0.8,
                             eyeSquintLeft=0.6, eyeSquintRight=0.6))
    check_reading(r)
    assert r.label == "happy"
    assert r.valence > 0.3


def test_frown_and_lowered_brow_read_negative(mapping: EmotionMapping) -> None:
    r = mapping.predict(face(mapping, mouthFrownLeft=0.5, mouthFrownRight=0.5,
                             browDownLeft=0.7, browDownRight=0.7))
    check_reading(r)
    assert r.label in ("sad", "angry", "disgusted", "fearful")
    assert r.valence < -0.1


def test_open_jaw_wide_eyes_raised_brows_read_surprised(mapping: EmotionMapping) -> None:
    r = mapping.predict(face(mapping, jawOpen=0.7, eyeWideLeft=0.6, eyeWideRight=0.6,
                             browInnerUp=0.7))
    check_reading(r)
    assert r.label == "surprised"
    assert r.arousal > 0.3


def test_resting_face_reads_neutral_near_origin(mapping: EmotionMapping) -> None:
    r = mapping.predict(mapping.resting_blendshapes)
    check_reading(r)
    assert r.label == "neutral"
    assert abs(r.valence) < 0.05 and abs(r.arousal) < 0.05
    r2 = mapping.predict_features(mapping.population_baseline)
    assert r2.label == "neutral"


def test_readings_stay_in_range_for_random_faces(mapping: EmotionMapping) -> None:
    rng = np.random.default_rng(0)
    for _ in range(200):
        check_reading(mapping.predict(dict(zip(BLENDSHAPE_NAMES, rng.uniform(0, 1, 52),
                                               strict=True))))
    check_reading(mapping.predict({}))


def test_per_face_baseline_removes_a_resting_smile(mapping: EmotionMapping) -> None:
    smiley_rest = face(mapping, mouthSmileLeft=0.6, mouthSmileRight=0.6,
                       mouthUpperUpLeft=0.3, mouthUpperUpRight=0.3)
    assert mapping.predict(smiley_rest).label == "happy"  # population baseline: a smile
    own = mapping.features(smiley_rest)
    at_rest = mapping.predict(smiley_rest, baseline=own)
    assert at_rest.label == "neutral"
    assert at_rest.probability("happy") < 0.3
    assert mapping.predict_features(own, baseline=own) == at_rest


def test_default_path_is_the_repo_calibration() -> None:
    assert CALIBRATION.name == "emotion.toml" and CALIBRATION.parent.name == "calibration"
    assert CALIBRATION.is_file()


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    text = CALIBRATION.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "broken.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_malformed_weights_raise_config_error_naming_file_and_key(tmp_path: Path) -> None:
    text = CALIBRATION.read_text(encoding="utf-8")
    last_row = next(ln for ln in text.splitlines() if ln.rstrip().endswith("# disgusted"))
    path = _broken(tmp_path, last_row + "\n", "")
    with pytest.raises(ConfigError, match=r"broken\.toml.*\[model\] weights has 6 rows"):
        EmotionMapping.load(path)


@pytest.mark.parametrize(("old", "new", "key"), [
    ("[circumplex]\n", "[circumplex]\nhappy = [2.0, 0.0]\n", "not valid TOML"),
    ("bias = [", "bias = [1.0, ", r"\[model\] bias"),
    ("[features]\nnames = [\n", "[features]\nnames = [\n  \"au99_nonsense\",\n", "unknown"),
])
def test_other_malformed_files(tmp_path: Path, old: str, new: str, key: str) -> None:
    with pytest.raises(ConfigError, match=rf"broken\.toml.*{key}"):
        EmotionMapping.load(_broken(tmp_path, old, new))


def test_missing_file_and_garbage(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.toml"):
        EmotionMapping.load(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("this is = = not toml", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.toml.*not valid TOML"):
        EmotionMapping.load(bad)


@pytest.mark.skipif(not TABLE.is_file(), reason="labelled tables not available")
def test_calibrating_a_subset_round_trips(tmp_path: Path) -> None:
    with open(TABLE, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        fields = list(reader.fieldnames or [])
        rows = [r for r in reader if r["detected"] == "1" and r["label"] in EMOTIONS]
    sample = random.Random(0).sample(rows, 600)
    small = tmp_path / "small_blendshapes.csv"
    with open(small, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(sample)
    out = tmp_path / "cal" / "emotion.toml"
    report = calibrate([small], out, folds=3, seed=0)
    assert out.is_file() and not list(out.parent.glob("*.tmp"))
    assert report.model[0].balanced_accuracy > 1.5 / len(EMOTIONS)  # CV, above chance
    assert "| happy |" in report.to_markdown()
    loaded = EmotionMapping.load(out)
    matrix = np.array([[float(r[n]) for n in BLENDSHAPE_NAMES] for r in sample])
    labels = np.array([EMOTIONS.index(r["label"]) for r in sample])
    probs = loaded.probabilities(loaded.features_matrix(matrix, BLENDSHAPE_NAMES)
                                 - loaded.population_baseline)
    pred = probs.argmax(axis=1)
    majority = int(np.bincount(labels).argmax())
    assert (pred[labels == majority] == majority).mean() > 0.5
    assert (pred == labels).mean() > 2.0 / len(EMOTIONS)
    one = loaded.predict(dict(zip(BLENDSHAPE_NAMES, matrix[0], strict=True)))
    assert one.probabilities == pytest.approx(tuple(probs[0]))


@pytest.mark.skipif(not TABLE.is_file(), reason="labelled tables not available")
def test_the_fusion_is_fitted_on_tables_with_the_networks_reading(tmp_path: Path) -> None:
    """With a network that reads the label right two times in three, the fitted fusion reads
    better than the blendshapes alone (cross-validated), and its [fusion] table loads."""
    with open(TABLE, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        fields = list(reader.fieldnames or [])
        rows = [r for r in reader if r["detected"] == "1" and r["label"] in EMOTIONS]
    rng = random.Random(1)
    sample = rng.sample(rows, 700)
    net_fields = [f"net_{e}" for e in EMOTIONS]
    for row in sample:
        guess = row["label"] if rng.random() < 2 / 3 else rng.choice(EMOTIONS)
        for e, name in zip(EMOTIONS, net_fields, strict=True):
            row[name] = "0.7" if e == guess else "0.05"
    table = tmp_path / "small_expression.csv"
    with open(table, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields + net_fields)
        writer.writeheader()
        writer.writerows(sample)
    out = tmp_path / "emotion.toml"
    report = calibrate([table], out, folds=3, seed=0)  # the table carries the network too
    fused, alone = report.readers["fused"][0], report.readers["blendshapes"][0]
    assert fused.balanced_accuracy > alone.balanced_accuracy + 0.1
    assert "Reader `fused`" in report.to_markdown()
    loaded = EmotionMapping.load(out)
    assert loaded.fusion is not None and loaded.fusion.network_weight > 0


def test_blendshape_matrix_rows_follow_the_names_and_fill_gaps_with_zero() -> None:
    full = dict(zip(BLENDSHAPE_NAMES, np.linspace(0, 1, 52).tolist(), strict=True))
    partial = {"jawOpen": 0.5}
    m = blendshape_matrix([full, partial])
    assert m.shape == (2, 52) and m.dtype == np.float64
    np.testing.assert_array_equal(m[0], np.linspace(0, 1, 52))
    np.testing.assert_array_equal(m[1], blendshape_row(partial)[0])
    assert blendshape_matrix([]).shape == (0, 52)
