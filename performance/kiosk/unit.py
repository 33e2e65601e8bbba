"""How the kiosk starts by itself: the systemd user unit, the XDG autostart entry for desktops
without systemd user sessions, writing both for the current user, and whether they are there.

Owns the text of both files and the quoting of a command line for each (systemd's ExecStart rules,
the Desktop Entry Exec rules); `deploy/` holds the same files rendered for `/usr/bin/env essence`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from performance.core.files import write_atomic

UNIT_NAME = "essence-kiosk.service"
AUTOSTART_NAME = "essence-kiosk.desktop"
WATCHDOG_S = 20  # WatchdogSec: the render loop pings at least every 10 s; no frame takes that long

# systemd (systemd.syntax(7), systemd.service(5) "Command lines"): words are split at whitespace,
# double quotes group, C escapes apply, a lone unquoted ';' separates commands, '%' starts a
# specifier and '$' an environment variable (both are doubled for a literal character).
_SYSTEMD_QUOTE = frozenset(" \t\n\r\"'\\;")
_C_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}
# Desktop Entry spec, "The Exec key": arguments with a reserved character are double-quoted,
# and inside the quotes '"', '`', '$' and '\' take a backslash; '%' is doubled (field codes).
_DESKTOP_RESERVED = frozenset(" \t\n\"'\\><~|&;$*?#()`")


class UnitState(StrEnum):
    """Whether the kiosk's user unit is written, and enabled."""

    NOT_INSTALLED = "not installed"
    INSTALLED = "installed"  # the unit file is there, no *.target.wants link to it
    ENABLED = "enabled"


@dataclass(frozen=True)
class Installed:
    """What install_unit wrote, and the `systemctl --user` lines that switch it on."""

    unit: Path
    autostart: Path
    commands: tuple[str, ...]


def _check_word(arg: str) -> None:
    if "\0" in arg:
        raise ValueError(f"a command-line argument cannot hold a NUL character: {arg!r}")


def exec_start_line(command: Sequence[str]) -> str:
    """`command` (an argv) as the value of systemd's ExecStart=, quoted and escaped."""
    words = []
    for arg in command:
        _check_word(arg)
        word = "".join(_C_ESCAPES.get(ch, ch if ord(ch) >= 32 else f"\\x{ord(ch):02x}")
                       for ch in arg)
        if not arg or any(ch in _SYSTEMD_QUOTE or ord(ch) < 32 for ch in arg):
            word = f'"{word}"'
        words.append(word.replace("%", "%%").replace("$", "$$"))
    return " ".join(words)


def desktop_exec_line(command: Sequence[str]) -> str:
    """`command` (an argv) as the value of a Desktop Entry's Exec= key, quoted and escaped."""
    words = []
    for arg in command:
        _check_word(arg)
        word = arg
        if not arg or any(ch in _DESKTOP_RESERVED for ch in arg):
            word = '"' + "".join("\\" + ch if ch in '"`$\\' else ch for ch in arg) + '"'
        words.append(word.replace("%", "%%"))
    # the string-value escapes of the spec come last (they are undone first when reading)
    line = " ".join(words).replace("\\", "\\\\")
    return line.replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")


def unit_text(exec_start: str, *, working_directory: Path | None = None) -> str:
    """The user unit; `exec_start` is an ExecStart= value already quoted (exec_start_line)."""
    workdir = ""
    if working_directory is not None:
        path = str(working_directory)
        if not working_directory.is_absolute() or any(ord(ch) < 32 for ch in path):
            raise ValueError(f"the working directory must be a plain absolute path: {path!r}")
        workdir = ("# Relative paths in the options above are taken from here.\n"
                   f"WorkingDirectory={path.replace('%', '%%')}\n")
    return f"""\
# {UNIT_NAME}: the Essence rig as an unattended gallery kiosk (a systemd user unit).
# `essence kiosk --install-unit` writes it to ~/.config/systemd/user/ (an edit here is lost the
# next time it runs: change the options there instead). See deploy/README.md in the rig.
#   status: systemctl --user status essence-kiosk      log: journalctl --user -u essence-kiosk

[Unit]
Description=Essence rig gallery kiosk
# Start inside the desktop session (the display is up and DISPLAY/WAYLAND_DISPLAY are known to
# the user manager by then) and stop when the session ends.
After=graphical-session.target
PartOf=graphical-session.target
# More than 5 starts within 10 minutes means something is wrong that restarting does not fix:
# systemd then gives up and leaves the unit failed. After fixing it:
#   systemctl --user reset-failed essence-kiosk && systemctl --user start essence-kiosk
StartLimitIntervalSec=600
StartLimitBurst=5

[Service]
# The rig tells systemd itself when the show is up (READY=1) and shows what it is doing in
# `systemctl status` (STATUS=...). Only its main process may do so, not the ones it spawns.
Type=notify
NotifyAccess=main
ExecStart={exec_start}
{workdir}# A hung rig is killed and restarted: once ready, it pings systemd at least every
# {WATCHDOG_S // 2} s; {WATCHDOG_S} s without a ping counts as a failure.
WatchdogSec={WATCHDOG_S}
# Restart after any failure: a crash, a watchdog timeout, a start that takes too long, and any
# non-zero exit status. That includes 75 (EX_TEMPFAIL), with which the rig asks for a fresh
# start after holding its safe picture. A clean exit (0) or `systemctl stop` is not restarted.
Restart=on-failure
RestartSec=5
# The first start can download and load the face model: allow 3 minutes until READY=1.
TimeoutStartSec=180
# On stop, SIGTERM goes to the rig's main process only (it stops its own processes); whatever
# is still running after 10 s gets SIGKILL, the whole group.
TimeoutStopSec=10
KillMode=mixed
# Log lines reach the journal at once instead of in blocks.
Environment=PYTHONUNBUFFERED=1

[Install]
# `systemctl --user enable` hooks the kiosk onto the graphical session (autologin on the
# kiosk machine makes that the boot).
WantedBy=graphical-session.target
"""


def autostart_text(exec_line: str) -> str:
    """The XDG autostart entry; `exec_line` is an Exec= value already quoted (desktop_exec_line)."""
    return f"""\
# {AUTOSTART_NAME}: starts the Essence rig kiosk with the desktop session, on desktops whose
# session does not run systemd user units. Where it does (GNOME, KDE Plasma on systemd), this
# entry is skipped and {UNIT_NAME} starts the kiosk: enable that one.
[Desktop Entry]
Type=Application
Version=1.4
Name=Essence kiosk
Comment=The Essence rig as an unattended gallery kiosk
Exec={exec_line}
Terminal=false
NoDisplay=true
X-GNOME-Autostart-enabled=true
X-GNOME-HiddenUnderSystemd=true
X-systemd-skip=true
"""


def default_config_home() -> Path:
    """$XDG_CONFIG_HOME (when it is an absolute path, as the XDG spec requires), else ~/.config."""
    value = os.environ.get("XDG_CONFIG_HOME", "")
    return Path(value) if os.path.isabs(value) else Path.home() / ".config"


def unit_path(config_home: Path | None = None) -> Path:
    """Where the user unit goes (under `config_home`, default default_config_home())."""
    return (config_home or default_config_home()) / "systemd" / "user" / UNIT_NAME


def autostart_path(config_home: Path | None = None) -> Path:
    """Where the XDG autostart entry goes."""
    return (config_home or default_config_home()) / "autostart" / AUTOSTART_NAME


def install_unit(command: Sequence[str], *, config_home: Path | None = None,
                 working_directory: Path | None = None) -> Installed:
    """Write the user unit and the autostart entry that run `command` (an argv whose first item
    is the absolute path of the program) for the current user; nothing is enabled or started."""
    if not command or not os.path.isabs(command[0]):
        raise ValueError(f"the command must start with an absolute program path: {command!r}")
    unit, autostart = unit_path(config_home), autostart_path(config_home)
    write_atomic(unit, unit_text(exec_start_line(command), working_directory=working_directory))
    write_atomic(autostart, autostart_text(desktop_exec_line(command)))
    return Installed(unit=unit, autostart=autostart, commands=(
        "systemctl --user daemon-reload",
        f"systemctl --user enable --now {UNIT_NAME}",
    ))


def unit_state(config_home: Path | None = None) -> UnitState:
    """Whether the user unit is written and enabled (linked from a *.target.wants folder)."""
    unit = unit_path(config_home)
    if not unit.is_file():
        return UnitState.NOT_INSTALLED
    for wants in unit.parent.glob("*.target.wants"):
        link = wants / UNIT_NAME
        if link.is_symlink() or link.exists():
            return UnitState.ENABLED
    return UnitState.INSTALLED
