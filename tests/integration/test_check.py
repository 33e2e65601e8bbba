"""`essence check` on the real show file, real shaders (EGL), the real face model."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from performance.cli import main
from performance.config import DEFAULT_CUES
from performance.runtime.check import run_check

pytestmark = pytest.mark.integration


def test_check_passes_on_the_default_show(face_model: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--face-model", str(face_model)]) == 0
    out = capsys.readouterr().out
    assert f"OK    show file {DEFAULT_CUES}: 7 acts" in out
    assert "OK    shaders:" in out and "essence_module" in out
    assert f"OK    face model: {face_model}" in out
    assert out.rstrip().endswith("check passed")


def test_check_fails_clearly_on_a_broken_copy(tmp_path: Path, face_model: Path) -> None:
    broken = tmp_path / "neo_lumen.toml"
    text = DEFAULT_CUES.read_text(encoding="utf-8")
    text = text.replace('name = "The Bureau descends"\nact = 4\nvisual = "crowd_chaos"',
                        'name = "The Bureau descends"\nact = 4\nvisual = "crowd_chaoz"')
    broken.write_text(text, encoding="utf-8")
    line = next(n for n, ln in enumerate(text.splitlines(), 1) if "crowd_chaoz" in ln)
    lines: list[str] = []
    assert run_check(broken, face_model=str(face_model), emit=lines.append) == 1
    report = "\n".join(lines)
    assert f"{broken}:{line}: cue 7: unknown visual 'crowd_chaoz'" in report
    assert "FAIL  show file" in report and report.endswith("check FAILED: 1 problem(s)")


def test_check_checks_the_show_file_the_settings_name(
    tmp_path: Path, face_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A kiosk's config file names its show: `essence check` checks that one, not the
    default (and --cues still wins over the setting)."""
    broken = tmp_path / "kiosk.toml"
    broken.write_text(DEFAULT_CUES.read_text(encoding="utf-8").replace(
        'visual = "enclave"', 'visual = "enclav"', 1), encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text(f'cues = "{broken}"\n', encoding="utf-8")
    args = ["--config", str(config), "check", "--no-gl", "--face-model", str(face_model)]
    assert main(args) == 1
    out = capsys.readouterr().out
    assert f"FAIL  show file {broken}" in out and "unknown visual 'enclav'" in out
    assert main([*args, "--cues", str(DEFAULT_CUES)]) == 0
    assert f"OK    show file {DEFAULT_CUES}" in capsys.readouterr().out


def test_check_reports_a_shader_that_does_not_compile(tmp_path: Path, face_model: Path) -> None:
    shaders = tmp_path / "shaders"
    shutil.copytree(DEFAULT_CUES.parents[1] / "shaders", shaders)
    frag = shaders / "enclave.frag"
    frag.write_text(frag.read_text(encoding="utf-8").replace("void main() {",
                                                            "void main() { nope;", 1),
                    encoding="utf-8")
    lines: list[str] = []
    assert run_check(None, face_model=str(face_model), shaders=shaders,
                     emit=lines.append) == 1
    assert any(ln.startswith("FAIL  shader enclave:") and "enclave.frag:" in ln
               for ln in lines), lines


def test_check_fails_without_a_face_model(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ESSENCE_FACE_MODEL", raising=False)
    missing = tmp_path / "none.task"
    lines: list[str] = []
    assert run_check(None, face_model=str(missing), gl=False, emit=lines.append) == 1
    assert any(ln.startswith("FAIL  face model:") and str(missing) in ln for ln in lines)


@pytest.mark.parametrize("gl", [True, False])
def test_a_broken_shader_header_is_one_problem(tmp_path: Path, face_model: Path,
                                               gl: bool) -> None:
    """Reported once: by the compile check with GL, by the show-file check without."""
    shaders = tmp_path / "shaders"
    shutil.copytree(DEFAULT_CUES.parents[1] / "shaders", shaders)
    text = (shaders / "enclave.frag").read_text(encoding="utf-8")
    assert '"INPUTS": [' in text
    (shaders / "extra.frag").write_text(text.replace('"INPUTS": [', '"INPUTS": [,', 1),
                                        encoding="utf-8")
    lines: list[str] = []
    assert run_check(None, face_model=str(face_model), shaders=shaders, gl=gl,
                     emit=lines.append) == 1
    failed = [ln for ln in lines if ln.startswith("FAIL")]
    assert len(failed) == 1, lines
    assert failed[0].startswith("FAIL  shader extra:" if gl else "FAIL  visual extra:")
    assert "extra.frag" in "\n".join(lines)
    assert lines[-1] == "check FAILED: 1 problem(s)"


def test_check_covers_the_expression_network_the_reader_needs(
    tmp_path: Path, face_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from performance.perception import expression

    lines: list[str] = []
    missing = tmp_path / "none.tflite"
    assert run_check(None, face_model=str(face_model), gl=False, emit=lines.append,
                     expression_model=str(missing), reader="fused") == 1
    assert any(line.startswith("FAIL  expression model:") and str(missing) in line
               for line in lines)
    lines.clear()
    assert run_check(None, face_model=str(face_model), gl=False, emit=lines.append,
                     expression_model=str(missing), reader="blendshapes") == 0
    assert "INFO  expression model: not used (reader blendshapes)" in lines
    monkeypatch.setattr(expression, "runtime_missing", lambda: "no LiteRT here")
    lines.clear()
    assert run_check(None, face_model=str(face_model), gl=False, emit=lines.append,
                     reader="fused") == 0  # the show runs on the blendshapes: said, not failed
    assert any(line.startswith("INFO  expression model: no LiteRT here") for line in lines)
    lines.clear()
    assert run_check(None, face_model=str(face_model), gl=False, emit=lines.append,
                     reader="network") == 1


def test_check_loads_the_venue_calibrations_as_a_run_does(
    tmp_path: Path, face_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A projector mapping and a camera file `run` would refuse fail `check`, naming the file
    and key; good ones are reported with what they hold."""
    from performance.venue.camera import CameraCalibration, save_camera
    from performance.venue.projector import ProjectorCalibration, save_projector

    projector, camera = tmp_path / "hall-display1.toml", tmp_path / "hall-camera.toml"
    save_projector(projector, ProjectorCalibration(output="HDMI-1", size=(1920, 1080)))
    save_camera(camera, CameraCalibration(ignore_zones=(((0.1, 0.1), (0.3, 0.1), (0.3, 0.3)),)))
    args = ["check", "--no-gl", "--face-model", str(face_model)]
    assert main([*args, "--calibration", str(projector),
                 "--camera-calibration", str(camera)]) == 0
    out = capsys.readouterr().out
    assert f"OK    projector calibration: {projector}: HDMI-1 1920x1080, corner-pin" in out
    assert f"OK    camera calibration: {camera}: 1 ignore zone(s)" in out
    projector.write_text(projector.read_text().replace("gamma = 1.0", "gamma = -2.0"))
    assert main([*args, "--calibration", str(projector)]) == 1
    out = capsys.readouterr().out
    assert f"FAIL  projector calibration: {projector}: " in out and "gamma" in out
    assert "INFO  camera calibration: none" in out


def test_a_missing_shader_folder_is_named_not_eighteen_unknown_visuals(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "shaderz"
    assert main(["check", "--no-gl", "--shaders", str(missing)]) == 2
    assert capsys.readouterr().err == f"essence: {missing}: --shaders: no such folder\n"
    afile = tmp_path / "one.frag"
    afile.write_text("void main() {}\n")
    assert main(["check", "--no-gl", "--shaders", str(afile)]) == 2
    assert capsys.readouterr().err == f"essence: {afile}: --shaders: is not a folder\n"
