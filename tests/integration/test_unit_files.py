"""The kiosk's systemd user unit and XDG autostart entry, checked by systemd's and freedesktop's
own validators (`systemd-analyze verify`, `desktop-file-validate`), and written for a user."""

from __future__ import annotations

import configparser
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from performance.kiosk.unit import (
    AUTOSTART_NAME,
    UNIT_NAME,
    WATCHDOG_S,
    UnitState,
    autostart_text,
    desktop_exec_line,
    exec_start_line,
    install_unit,
    unit_state,
    unit_text,
)

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
TEMPLATE_COMMAND = "/usr/bin/env essence kiosk"
# the real console script of this checkout's environment, beside the interpreter
ESSENCE = Path(sys.executable).parent / "essence"


def _verify(unit: Path, tmp_path: Path) -> tuple[int, str]:
    """`systemd-analyze verify` as the user manager would load `unit`, offline (PID 1 need not
    be systemd): its exit status and everything it printed."""
    if shutil.which("systemd-analyze") is None:
        pytest.fail("systemd-analyze is not installed: apt-get install systemd")
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
           "XDG_RUNTIME_DIR": str(runtime), "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "LANG": "C.UTF-8", "SYSTEMD_LOG_COLOR": "0"}
    done = subprocess.run(
        ["systemd-analyze", "verify", "--user", "--man=no", "--generators=no", str(unit)],
        env=env, capture_output=True, text=True, timeout=60)
    return done.returncode, (done.stdout + done.stderr).strip()


def _validate_desktop(entry: Path) -> tuple[int, str]:
    if shutil.which("desktop-file-validate") is None:
        pytest.fail("desktop-file-validate is not installed: apt-get install desktop-file-utils")
    done = subprocess.run(["desktop-file-validate", str(entry)], capture_output=True, text=True,
                          timeout=30)
    return done.returncode, (done.stdout + done.stderr).strip()


def _ini(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path, encoding="utf-8")
    return parser


def _argv_from_exec_start(value: str) -> list[str]:
    """ExecStart= back to an argv: undo the specifier and variable escapes, then the quoting
    (systemd's double quotes with \\\\ and \\" are POSIX shell double quotes)."""
    return shlex.split(value.replace("%%", "%").replace("$$", "$"))


def _argv_from_desktop_exec(value: str) -> list[str]:
    """Exec= back to an argv in the spec's order: string escapes, field codes, then quoting
    (inside double quotes a backslash escapes '"', '`', '$' and itself)."""
    text = re.sub(r"\\(.)", lambda m: {"s": " ", "n": "\n", "t": "\t", "r": "\r"}
                  .get(m.group(1), m.group(1)), value).replace("%%", "%")
    argv: list[str] = []
    word: str | None = None
    chars = iter(text)
    for ch in chars:
        if ch == " ":
            if word is not None:
                argv.append(word)
            word = None
        elif ch == '"':
            word = word or ""
            for quoted in chars:
                if quoted == '"':
                    break
                if quoted == "\\":
                    escaped = next(chars)
                    assert escaped in '"`$\\', f"undefined escape \\{escaped} in {value!r}"
                    quoted = escaped
                word += quoted
            else:
                raise AssertionError(f"unbalanced quote in {value!r}")
        else:
            assert ch not in "\\`$", f"reserved {ch!r} outside quotes in {value!r}"
            word = (word or "") + ch
    return argv if word is None else [*argv, word]


@pytest.fixture
def awkward(tmp_path: Path) -> list[str]:
    """Options a user may well give: a show file in a folder with a space and a % in its name
    ("%z" is not a specifier systemd knows, so an undoubled one is an error it reports)."""
    show = tmp_path / "my shows" / "100%zen act's.toml"
    return ["kiosk", "--cues", str(show), "--title", 'say "$HOME" \\ 50% off']


def test_the_shipped_files_are_the_rendered_templates() -> None:
    assert (DEPLOY / UNIT_NAME).read_text() == unit_text(TEMPLATE_COMMAND)
    assert (DEPLOY / AUTOSTART_NAME).read_text() == autostart_text(TEMPLATE_COMMAND)
    assert (DEPLOY / "README.md").is_file()


def test_the_shipped_unit_passes_systemd_analyze(tmp_path: Path) -> None:
    assert _verify(DEPLOY / UNIT_NAME, tmp_path) == (0, "")
    unit = _ini(DEPLOY / UNIT_NAME)
    assert dict(unit["Unit"]) == {
        "Description": "Essence rig gallery kiosk", "After": "graphical-session.target",
        "PartOf": "graphical-session.target", "StartLimitIntervalSec": "600",
        "StartLimitBurst": "5"}
    assert dict(unit["Service"]) == {
        "Type": "notify", "NotifyAccess": "main", "ExecStart": TEMPLATE_COMMAND,
        "WatchdogSec": str(WATCHDOG_S), "Restart": "on-failure", "RestartSec": "5",
        "TimeoutStartSec": "180", "TimeoutStopSec": "10", "KillMode": "mixed",
        "Environment": "PYTHONUNBUFFERED=1"}
    assert dict(unit["Install"]) == {"WantedBy": "graphical-session.target"}


@pytest.mark.parametrize(("change", "expected"), [
    (("Type=notify", "Type=notifyy"), "Failed to parse service type"),
    (("ExecStart=/usr/bin/env", "ExecStart=/usr/bin/no-such-env"), "is not executable"),
    (("KillMode=mixed", "KillMode=mixd"), "Failed to parse kill mode"),
    (("StartLimitBurst=5", "StartLimitBurts=5"), "Unknown key 'StartLimitBurts'"),
])
def test_systemd_analyze_reports_a_broken_unit(tmp_path: Path, change: tuple[str, str],
                                               expected: str) -> None:
    """The check above can fail: each mistake is printed (some with exit status 0)."""
    broken = tmp_path / UNIT_NAME
    text = unit_text(TEMPLATE_COMMAND)
    assert change[0] in text
    broken.write_text(text.replace(*change, 1))
    assert expected in _verify(broken, tmp_path)[1]


def test_an_installed_unit_runs_the_real_essence_with_awkward_options(
        tmp_path: Path, awkward: list[str]) -> None:
    assert ESSENCE.is_file() and os.access(ESSENCE, os.X_OK)
    command = [str(ESSENCE), *awkward]
    config = tmp_path / "config"
    installed = install_unit(command, config_home=config, working_directory=tmp_path / "my shows")
    assert installed.unit == config / "systemd" / "user" / UNIT_NAME
    assert installed.autostart == config / "autostart" / AUTOSTART_NAME
    assert installed.commands == ("systemctl --user daemon-reload",
                                  f"systemctl --user enable --now {UNIT_NAME}")
    assert _verify(installed.unit, tmp_path) == (0, "")
    service = _ini(installed.unit)["Service"]
    assert _argv_from_exec_start(service["ExecStart"]) == command
    assert service["WorkingDirectory"] == str(tmp_path / "my shows").replace("%", "%%")

    # the same file with the % signs left single is wrong, and systemd says so
    text = installed.unit.read_text()
    assert "%%z" in text
    installed.unit.write_text(text.replace("%%", "%"))
    status, output = _verify(installed.unit, tmp_path)
    assert status != 0 and "Failed to resolve unit specifiers" in output


def test_a_program_path_with_a_space_is_quoted_for_systemd(tmp_path: Path) -> None:
    folder = tmp_path / "rig copy"
    folder.mkdir()
    (folder / "essence").symlink_to(ESSENCE)
    command = [str(folder / "essence"), "kiosk"]
    installed = install_unit(command, config_home=tmp_path / "config")
    assert _verify(installed.unit, tmp_path) == (0, "")
    assert _argv_from_exec_start(_ini(installed.unit)["Service"]["ExecStart"]) == command

    installed.unit.write_text(installed.unit.read_text().replace(f'"{folder / "essence"}"',
                                                                 str(folder / "essence")))
    status, output = _verify(installed.unit, tmp_path)  # unquoted: ".../rig" is run
    assert status != 0 and "is not executable" in output


def test_the_autostart_entries_pass_desktop_file_validate(tmp_path: Path,
                                                          awkward: list[str]) -> None:
    assert _validate_desktop(DEPLOY / AUTOSTART_NAME) == (0, "")
    command = [str(tmp_path / "rig copy" / "essence"), *awkward]
    installed = install_unit(command, config_home=tmp_path / "config")
    assert _validate_desktop(installed.autostart) == (0, "")
    entry = _ini(installed.autostart)["Desktop Entry"]
    assert entry["Type"] == "Application" and entry["Name"] == "Essence kiosk"
    assert entry["Terminal"] == "false" and entry["X-systemd-skip"] == "true"
    assert _argv_from_desktop_exec(entry["Exec"]) == command

    broken = tmp_path / AUTOSTART_NAME
    broken.write_text(installed.autostart.read_text().replace("%%", "%"))
    status, output = _validate_desktop(broken)  # "%z" is no field code
    assert status != 0 and "Exec" in output


def test_quoting_leaves_plain_words_alone() -> None:
    assert exec_start_line(["/usr/bin/env", "essence", "kiosk", "--fps=30"]) == \
        "/usr/bin/env essence kiosk --fps=30"
    assert exec_start_line(["/bin/x", "", "a;b", ";", "50%", "$X"]) == \
        '/bin/x "" "a;b" ";" 50%% $$X'
    assert desktop_exec_line(["/bin/x", "", "a=b", "50%", "a b", "$X"]) == \
        '/bin/x "" a=b 50%% "a b" "\\\\$X"'
    with pytest.raises(ValueError):
        exec_start_line(["/bin/x", "nul\0byte"])


def test_install_wants_an_absolute_program(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        install_unit(["essence", "kiosk"], config_home=tmp_path)
    with pytest.raises(ValueError):
        install_unit([], config_home=tmp_path)
    assert not (tmp_path / "systemd").exists()


def test_unit_state_follows_the_files(tmp_path: Path, monkeypatch) -> None:
    config = tmp_path / "config"
    assert unit_state(config) is UnitState.NOT_INSTALLED
    installed = install_unit([str(ESSENCE), "kiosk"], config_home=config)
    assert unit_state(config) is UnitState.INSTALLED
    wants = config / "systemd" / "user" / "default.target.wants"
    wants.mkdir()
    (wants / UNIT_NAME).symlink_to(installed.unit)  # what `systemctl --user enable` makes
    assert unit_state(config) is UnitState.ENABLED
    (wants / UNIT_NAME).unlink()
    (wants / "other.service").symlink_to(installed.unit)
    assert unit_state(config) is UnitState.INSTALLED
    installed.unit.unlink()
    assert unit_state(config) is UnitState.NOT_INSTALLED

    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))  # the default config home
    install_unit([str(ESSENCE), "kiosk"])
    assert unit_state() is UnitState.INSTALLED
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/dir")  # ignored, as the XDG spec says
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert install_unit([str(ESSENCE), "kiosk"]).unit == \
        tmp_path / "home" / ".config" / "systemd" / "user" / UNIT_NAME
