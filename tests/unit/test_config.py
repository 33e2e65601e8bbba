"""Settings: one precedence chain (defaults < file < environment < options), clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from performance import config as config_module
from performance.config import Settings, load_settings
from performance.core.errors import ConfigError


@pytest.fixture(autouse=True)
def _no_user_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's own ~/.config file must not leak into these tests."""
    monkeypatch.setattr(config_module, "default_config_path", lambda: tmp_path / "none.toml")


def test_precedence_defaults_file_environment_options(tmp_path: Path) -> None:
    config = tmp_path / "rig.toml"
    config.write_text('[rig]\nmax_faces = 4\ntiles = "3x2"\nsmooth_time = 0.5\n')
    assert load_settings(env={}) == Settings()
    from_file = load_settings(config, env={})
    assert (from_file.max_faces, from_file.tiles, from_file.smooth_time) == (4, "3x2", 0.5)
    env = {"ESSENCE_MAX_FACES": "6", "ESSENCE_LEARN_BASELINE": "off"}
    from_env = load_settings(config, env=env)
    assert from_env.max_faces == 6 and from_env.learn_baseline is False
    assert from_env.tiles == "3x2"
    from_options = load_settings(config, env=env, overrides={"max_faces": 2, "tiles": None})
    assert from_options.max_faces == 2 and from_options.tiles == "3x2"


def test_config_file_from_environment_variable(tmp_path: Path) -> None:
    config = tmp_path / "rig.toml"
    config.write_text("max_faces = 3\n")
    assert load_settings(env={"ESSENCE_CONFIG": str(config)}).max_faces == 3


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[rig]\nmax_faces = 0\n", "max_faces = 0 is outside"),
        ("[rig]\nmax_face = 3\n", "unknown setting 'max_face'"),
        ("[rig]\nsmooth_time = 'fast'\n", "smooth_time must be float"),
        ("[rig\n", "not valid TOML"),
    ],
)
def test_bad_config_names_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_settings(config, env={})
    assert str(config) in str(info.value) and message in str(info.value)


def test_bad_environment_value_names_the_variable_source() -> None:
    with pytest.raises(ConfigError, match=r"environment.*max_faces must be int"):
        load_settings(env={"ESSENCE_MAX_FACES": "many"})
    with pytest.raises(ConfigError, match="no such config file"):
        load_settings(Path("/nonexistent/rig.toml"), env={})


def test_a_bad_option_value_names_the_option(capsys: pytest.CaptureFixture[str]) -> None:
    from performance.cli import main

    assert main(["render", "--input", "scripted", "--out", "x.mp4", "--auto-go", "-1"]) == 2
    assert "command line: --auto-go = -1.0 is outside [0.0, 3600.0]" in capsys.readouterr().err
    assert main(["run", "--headless", "--max-faces", "0"]) == 2
    assert "command line: --max-faces = 0 is outside [1, 64]" in capsys.readouterr().err


def _refused(tmp_path: Path, text: str, match: str) -> Path:
    """A rig.toml holding `text`, which loading refuses with an error matching `match`."""
    path = tmp_path / "rig.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=match):
        load_settings(path, env={})
    return path


def test_an_unknown_reader_is_refused_naming_the_choices(tmp_path: Path) -> None:
    _refused(tmp_path, 'reader = "eyes"\n',
             r"rig.toml: reader must be one of fused, blendshapes, network, got 'eyes'")


def test_perception_cpu_is_checked_when_the_file_is_read(tmp_path: Path) -> None:
    path = _refused(tmp_path, 'perception_cpu = "first"\n',
                    r"rig.toml: perception_cpu must be last, any or a CPU number, got 'first'")
    for ok in ("last", "ANY", " 1 "):
        path.write_text(f'perception_cpu = "{ok}"\n', encoding="utf-8")
        assert load_settings(path, env={}).perception_cpu == ok
    with pytest.raises(ConfigError, match=r"environment \(ESSENCE_\*\): perception_cpu"):
        load_settings(None, env={"ESSENCE_PERCEPTION_CPU": "-1"})


def test_renderer_cpus_names_its_choices_and_keeps_the_renderer_off_perceptions_cpu(
        tmp_path: Path) -> None:
    from performance.core.priority import THREADS_ENV, prepare_renderer_threads, renderer_cpus

    _refused(tmp_path, 'renderer_cpus = "half"\n',
             r"rig.toml: renderer_cpus must be one of any, others, got 'half'")
    four = frozenset(range(4))
    assert renderer_cpus(True, frozenset({3}), four) == frozenset({0, 1, 2})
    assert renderer_cpus(False, frozenset({3}), four) is None  # "any"
    assert renderer_cpus(True, None, four) is None  # perception_cpu = "any": nothing to avoid
    assert renderer_cpus(True, frozenset({0}), frozenset({0})) is None  # nothing would be left
    assert renderer_cpus(True, frozenset({7}), four) is None  # not one of ours: nothing to avoid
    env: dict[str, str] = {}
    prepare_renderer_threads(None, env)
    assert env == {}
    prepare_renderer_threads(frozenset({0, 1, 2}), env)
    assert env == {THREADS_ENV: "3"}
    env[THREADS_ENV] = "7"  # the environment's own choice is kept
    prepare_renderer_threads(frozenset({0}), env)
    assert env == {THREADS_ENV: "7"}


def test_audio_latency_and_numbers_are_checked_when_the_file_is_read(tmp_path: Path) -> None:
    path = _refused(tmp_path, 'audio_latency = "medium"\n',
                    r"rig.toml: audio_latency must be low, high or seconds such as 0.05, "
                    r"got 'medium'")
    for ok, read in (('"HIGH"', "HIGH"), ("0.05", "0.05"), ('".2"', ".2"), ("0.00001", "1e-05")):
        path.write_text(f"audio_latency = {ok}\n", encoding="utf-8")
        assert load_settings(path, env={}).audio_latency == read
    _refused(tmp_path, "max_faces = true\n", r"rig.toml: max_faces must be int, got True")
    _refused(tmp_path, "smooth_time = false\n", r"rig.toml: smooth_time must be float")


def test_sources_say_where_each_setting_came_from(tmp_path: Path) -> None:
    path = tmp_path / "rig.toml"
    path.write_text('tiles = "3x2"\nmax_faces = 4\n', encoding="utf-8")
    sources: dict[str, str] = {}
    load_settings(path, env={"ESSENCE_MAX_FACES": "5"}, overrides={"osc_allow": None,
                                                                   "max_faces": 6},
                  sources=sources)
    assert sources == {"tiles": str(path), "max_faces": "command line (--max-faces)"}
    sources.clear()
    load_settings(path, env={"ESSENCE_OSC_ALLOW": "10.0.0.0/8"}, sources=sources)
    assert sources["osc_allow"] == "environment (ESSENCE_*)"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('osc_allow = "10.0.0.300"\n', "osc_allow: '10.0.0.300' is not an IP address"),
        ('tiles = "9x0"\n', "tiles: expected adaptive, off, auto or CxR"),
        ('opening_hours = "funday 25:00-99:00"\n', "opening_hours: unknown day in 'funday'"),
        ('perception_cpu = "4096"\n', "perception_cpu = '4096': use last, any or one of"),
    ],
)
def test_settings_with_a_grammar_are_refused_at_start_naming_the_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str) -> None:
    """Each is parsed by the module that uses it, before the command runs: one line naming
    the file (osc_allow used to fail in the OSC child process with a traceback). The CPU
    number is refused on a machine with two CPUs or more (one CPU: any is the only choice)."""
    from performance.cli import main

    path = tmp_path / "rig.toml"
    path.write_text(text, encoding="utf-8")
    assert main(["--config", str(path), "status"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"essence: {path}: {message}")


def test_a_setting_with_a_grammar_from_the_command_line_names_the_option(
        capsys: pytest.CaptureFixture[str]) -> None:
    from performance.cli import main

    assert main(["analyze", "--tiles", "0x3", "no-such.mp4"]) == 2
    assert capsys.readouterr().err.strip() == (
        "essence: command line (--tiles): tiles: expected adaptive, off, auto or CxR such as"
        " 3x2, got '0x3'")
