"""Versioned venue calibration files: kinds, schemas, migrations, checked fields, safe saves."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from performance.core.errors import OutputError
from performance.venue.calfile import (
    CalibrationError,
    Fields,
    load_calibration,
    save_calibration,
)


def test_save_then_load_round_trips_with_a_header_a_person_reads(tmp_path: Path) -> None:
    path = tmp_path / "hall-hdmi1.toml"
    body = {"output": {"name": "HDMI-1", "size": [1920, 1080]},
            "corners": {"points": [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]}}
    save_calibration(path, "projector", 2, body, header="Essence rig projector mapping\nhall")
    text = path.read_text()
    assert text.startswith("# Essence rig projector mapping\n# hall\n")
    assert 'kind = "projector"' in text and "schema = 2" in text
    assert load_calibration(path, "projector", 2) == body


def test_arrays_of_plain_values_are_one_line_and_strings_are_left_alone(
        tmp_path: Path) -> None:
    path = tmp_path / "odd.toml"
    body = {"t": {"flags": [True, False], "tiny": [-1.5e-12, 3e20, -0.0, 7],
                  "names": ["a[", "b\n[\n 1,\n]"], "zones": [[[0.1, 0.2], [0.3, 0.4]], []],
                  "note": "[\n    1,\n]", "empty": []}}
    save_calibration(path, "camera", 1, body)
    assert load_calibration(path, "camera", 1) == body
    text = path.read_text()
    assert "flags = [true, false]\n" in text and "tiny = [-1.5e-12, 3e+20, -0.0, 7]\n" in text
    assert "        [0.1, 0.2],\n        [0.3, 0.4],\n" in text
    assert '    "a[",\n' in text  # an array of strings keeps one a line


def test_another_kind_a_newer_schema_and_bad_toml_are_one_line_errors(tmp_path: Path) -> None:
    path = tmp_path / "cal.toml"
    save_calibration(path, "camera", 1, {})
    with pytest.raises(CalibrationError, match=r"cal\.toml: kind: is not a projector "
                       r"calibration \(kind is 'camera'\)"):
        load_calibration(path, "projector", 1)
    save_calibration(path, "projector", 3, {})
    with pytest.raises(CalibrationError, match=r"schema: is schema 3, newer than this rig"):
        load_calibration(path, "projector", 2)
    path.write_text("kind = \n")
    with pytest.raises(CalibrationError, match=r"cal\.toml: not valid TOML") as exc:
        load_calibration(path, "projector", 1)
    assert "\n" not in str(exc.value)
    with pytest.raises(CalibrationError, match="cannot read"):
        load_calibration(tmp_path / "missing.toml", "projector", 1)


def test_an_older_schema_is_migrated_step_by_step_or_refused(tmp_path: Path) -> None:
    path = tmp_path / "old.toml"
    save_calibration(path, "projector", 1, {"gamma": 2.0})
    steps = {1: lambda d: {"output": {"gamma": d["gamma"]}},
             2: lambda d: {**d, "edges": {}}}
    assert load_calibration(path, "projector", 3, steps) == {"output": {"gamma": 2.0},
                                                             "edges": {}}
    with pytest.raises(CalibrationError, match="schema 1 can no longer be read"):
        load_calibration(path, "projector", 3, {2: steps[2]})
    with pytest.raises(CalibrationError, match="cannot be migrated from schema 1"):
        load_calibration(path, "projector", 2, {1: lambda d: d["nothing"]})


def test_fields_name_the_file_table_and_key() -> None:
    table = Fields("v.toml", {"soft": {"left": 0.1, "gamma": "x", "pts": [[0, 0], [2, 1]]}})
    soft = table.sub("soft")
    assert soft.number("left", low=0, high=0.5) == 0.1
    assert soft.number("right", 0.0) == 0.0
    with pytest.raises(CalibrationError, match=r"v\.toml: soft\.gamma: must be a number"):
        soft.number("gamma")
    with pytest.raises(CalibrationError, match=r"soft\.left: = 0\.1 is outside \[0\.2, 1\]"):
        soft.number("left", low=0.2, high=1)
    with pytest.raises(CalibrationError, match=r"soft\.pts: point 2 \[2\.0, 1\.0\] is outside"):
        soft.points("pts", low=0, high=1)
    with pytest.raises(CalibrationError, match=r"soft\.pts: must have 4 points, got 2"):
        soft.points("pts", count=4)
    with pytest.raises(CalibrationError, match=r"soft\.top: unknown key \(known: gamma, "):
        Fields("v.toml", {"top": 1, "gamma": 2}, "soft").unknown({"gamma", "left"})
    with pytest.raises(CalibrationError, match=r"v\.toml: mask: missing"):
        table.sub("mask")


def test_a_failed_save_keeps_the_good_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                           ) -> None:
    path = tmp_path / "good.toml"
    save_calibration(path, "projector", 1, {"gamma": 2.2})
    good = path.read_bytes()

    def full(*_: object, **__: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OutputError, match=r"good\.toml: cannot be written"):
        save_calibration(path, "projector", 1, {"gamma": 1.0})
    assert path.read_bytes() == good
    assert [p.name for p in tmp_path.iterdir()] == ["good.toml"]
