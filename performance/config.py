"""Typed settings with one precedence chain: defaults < config file < environment < options.

The config file is TOML: `--config FILE`, else `$ESSENCE_CONFIG`, else `config.toml` in the
user config directory (if it exists). Environment variables are `ESSENCE_<KEY>` in upper
case (for example `ESSENCE_MAX_FACES=4`; the face model keeps its documented name
`ESSENCE_FACE_MODEL`). Errors name the file or variable and the key, or the command-line
option (`--auto-go`).
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from performance.core.errors import ConfigError

APP_NAME = "essence-rig"


@dataclass(frozen=True)
class Settings:
    """Everything a run can be configured with (see the README's configuration table)."""

    face_model: str = ""  # path to face_landmarker.task; empty: env var, cache, download
    expression_model: str = ""  # the expression network's .tflite; empty: env var, cache, download
    reader: str = "fused"  # what reads a face's emotion: fused, blendshapes or network (Reader)
    max_faces: int = 8  # faces MediaPipe looks for in one frame
    tiles: str = "adaptive"  # crowd tiling: adaptive (when small faces are likely), off, auto, CxR
    perception: str = "process"  # where the face model runs: process (own process) or thread
    perception_cpu: str = "last"  # the CPU the perception process is kept on: last, any, or N
    renderer_nice: int = 5  # nice level of a software renderer's threads (0: as the show's)
    renderer_cpus: str = "any"  # a software renderer's CPUs: any, or others (not perception's)
    smooth_time: float = 0.35  # seconds for a face's emotion to follow a change
    forget_after: float = 1.5  # seconds an unseen face keeps its id
    learn_baseline: bool = True  # learn each face's own resting expression while in view
    baseline: str = ""  # explicit calibrated baseline TOML (see `essence baseline`)
    cues: str = ""  # show file (cue list, TOML) for run/rehearse/render; empty: the autopilot
    sound: bool = True  # generated sound (live output, and the audio track of renders)
    auto_go: float = 0.0  # with a cue list: press GO after the show waited this long; 0: never
    render_auto_go: float = 6.0  # the same for `essence render`, where nobody presses GO
    # OSC control (see docs/osc.md)
    osc_host: str = "127.0.0.1"  # address the OSC servers bind to; 0.0.0.0 only when asked
    osc_port: int = 53000  # UDP port for OSC control (QLab's); 0 turns UDP off
    osc_tcp_port: int = 53000  # TCP port (SLIP or length-prefixed frames); 0 turns TCP off
    osc_reply_port: int = 53001  # UDP replies/feedback go to the sender's host here; 0: its port
    osc_allow: str = ""  # comma-separated sender IPs/networks allowed; empty: everyone
    osc_passcode: str = ""  # when set, `/connect <passcode>` is needed before any change
    osc_unlock_code: str = ""  # without a passcode: `/connect <code>` lets a sender leave show mode
    osc_stale_after: float = 1.0  # a GO (cue jump, blackout, ...) older than this is refused
    osc_rate_limit: float = 20000.0  # most OSC packets per second from one sender
    osc_max_packet: int = 8192  # largest OSC packet accepted, bytes
    osc_updates_expire: float = 60.0  # a quiet UDP subscriber stops getting feedback after this
    control: str = "process"  # where OSC input is received and checked: process or thread
    show_mode: bool = False  # lock editing (inputs, chaos mode, cue jumps, playhead) during a show
    min_go_interval: float = 0.25  # seconds between two GOs (a double tap fires once)
    # the operator's web console (see docs/console.md)
    console: str = ""  # "[HOST:]PORT" the console serves on (127.0.0.1 unless a host); empty: off
    console_camera: bool = False  # the console shows the camera with face boxes (127.0.0.1 only)
    oscquery_port: int = 0  # OSCQuery's HTTP port (with the console); 0: the console's port + 1
    # sound (see docs/audio.md)
    audio_device: str = ""  # output number or name fragment; empty: the default output
    audio_block: int = 512  # frames per audio callback (512 at 48 kHz = 10.7 ms)
    audio_latency: str = "low"  # PortAudio latency: low, high, or seconds (e.g. 0.05)
    # the gallery kiosk (`essence kiosk`, see docs/kiosk.md)
    kiosk_auto_go: float = 10.0  # the kiosk presses GO after the show waited this long
    attract_after: float = 90.0  # seconds with nobody in view before the attract visual; 0: never
    attract_visual: str = "essence_module"  # what an empty room sees
    safe_visual: str = "fallback"  # what the kiosk holds after repeated crashes (sound off)
    opening_hours: str = ""  # "tue-sun 10:00-18:00"; outside: blackout, no sound; empty: always
    crash_limit: int = 3  # unclean ends within crash_window that mean safe mode; 0: never
    crash_window: float = 600.0  # seconds
    safe_hold: float = 900.0  # seconds in safe mode before trying the show again (under systemd)
    exit_chord: str = "ctrl+shift+q"  # the only key that ends a kiosk
    health_every: float = 5.0  # seconds between two health reports (file, systemd STATUS=)
    # the venue (see docs/venue.md)
    projector_calibration: str = ""  # projector mapping (essence calibrate projector); empty: none
    camera_calibration: str = ""  # camera, turn, crop, zones (calibrate camera); empty: none
    venue_baseline_minutes: float = 0.0  # room's resting level from the first minutes; 0: off


class Reader(StrEnum):
    """What reads a face's emotion (the `reader` setting)."""

    FUSED = "fused"  # the blendshape mapping and the expression network together (default)
    BLENDSHAPES = "blendshapes"  # MediaPipe's blendshapes alone (also the fallback)
    NETWORK = "network"  # the expression network alone


class Isolation(StrEnum):
    """Where a part of the rig runs beside the render loop (the `perception` and `control`
    settings)."""

    PROCESS = "process"  # its own process: never waits for the render's interpreter lock
    THREAD = "thread"  # a thread of the render's process (shares its interpreter lock)


class RendererCpus(StrEnum):
    """Where a software renderer's threads run (the `renderer_cpus` setting)."""

    ANY = "any"  # every CPU, the perception's too (the most frames a second)
    OTHERS = "others"  # every CPU but the one `perception_cpu` keeps the face model on


_CHOICES: dict[str, tuple[str, ...]] = {"reader": tuple(r.value for r in Reader),
                                        "perception": tuple(i.value for i in Isolation),
                                        "control": tuple(i.value for i in Isolation),
                                        "renderer_cpus": tuple(c.value for c in RendererCpus)}
_FORMS: dict[str, tuple[str, str]] = {
    "perception_cpu": (r"(?i)\s*(last|any|\d+)\s*", "last, any or a CPU number"),
    "audio_latency": (r"(?i)\s*(low|high|(\d+(\.\d*)?|\.\d+)(e[-+]?\d+)?)\s*",
                      "low, high or seconds such as 0.05"),
}
"""Settings whose text must match a pattern (fullmatch), and the words that say how."""


# Command-line options that override a setting: argparse dest (= the setting's name) -> the
# option as a person types it (error messages name it).
SETTING_OPTIONS: dict[str, str] = {
    "face_model": "--face-model", "expression_model": "--expression-model",
    "reader": "--reader", "max_faces": "--max-faces", "tiles": "--tiles",
    "baseline": "--baseline", "cues": "--cues", "osc_port": "--osc-port",
    "audio_device": "--audio-device", "sound": "--no-sound", "auto_go": "--auto-go",
    "render_auto_go": "--auto-go", "perception": "--perception",
    "control": "--control", "projector_calibration": "--calibration",
    "camera_calibration": "--camera-calibration", "console": "--console",
    "console_camera": "--console-camera", "oscquery_port": "--oscquery-port",
}

# Defaults of command options that are not settings (one place for them too).
REPO = Path(__file__).resolve().parents[1]
DEFAULT_CUES = REPO / "cues" / "neo_lumen.toml"  # the show `essence check` checks by default
CALIBRATION = REPO / "calibration" / "emotion.toml"  # the shipped emotion mapping
CALIBRATION_FOLDS = 5  # cross-validation folds of `essence calibrate`
STAGE_SIZE: tuple[int, int] = (1280, 720)  # stage resolution and window size, live and offline
STAGE_SIDE_LIMITS: tuple[int, int] = (16, 8192)  # smallest and largest side of --size, pixels
LIVE_FPS = 60.0  # target frames per second of a live run (0: as fast as possible)
RENDER_FPS = 30.0  # frames per second of an offline render
NEUTRAL_SECONDS = 5.0  # how long a performer's resting face is read (calibrate neutral, key n)
RENDER_SECONDS = 30.0  # length of a render of the scripted audience or a still image
CONTACT_FRAMES = 12  # frames on a render's contact sheet
REPORT_SIZE: tuple[int, int] = (384, 216)  # `essence report`: size of the visuals it renders
REPORT_FPS = 15.0  # `essence report VIDEO`: show frames per second of its offline render
DEFAULT_SCRIPTED_FACES = 3  # faces in the scripted audience
SAMPLE_RATE = 48000  # the synth's sample rate, live and in renders (Hz)

_LIMITS: dict[str, tuple[float, float]] = {
    "max_faces": (1, 64),
    "renderer_nice": (0, 19),
    "smooth_time": (0.01, 30.0),
    "forget_after": (0.0, 600.0),
    "osc_port": (0, 65535),
    "osc_tcp_port": (0, 65535),
    "oscquery_port": (0, 65535),
    "osc_reply_port": (0, 65535),
    "osc_rate_limit": (1.0, 1e6),
    "osc_max_packet": (64, 65507),
    "osc_updates_expire": (1.0, 86400.0),
    "osc_stale_after": (0.05, 60.0),
    "min_go_interval": (0.0, 10.0),
    "auto_go": (0.0, 3600.0),
    "render_auto_go": (0.0, 3600.0),
    "audio_block": (16, 8192),
    "kiosk_auto_go": (0.0, 3600.0),
    "attract_after": (0.0, 86400.0),
    "crash_limit": (0, 100),
    "crash_window": (10.0, 86400.0),
    "safe_hold": (10.0, 7 * 86400.0),
    "health_every": (0.5, 3600.0),
    "venue_baseline_minutes": (0.0, 120.0),
}


DEFAULTS = Settings()
"""The default settings, for modules that need one default (e.g. the OSC ports)."""


def default_config_path() -> Path:
    """Where the user's config file lives when none is named."""
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP_NAME)) / "config.toml"


def load_settings(
    config: Path | None = None,
    *,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    sources: dict[str, str] | None = None,
) -> Settings:
    """Build Settings from defaults, a TOML file, the environment and explicit overrides.
    `sources`, when given, gets where each setting that is not a default came from (the
    file's path, the environment, or the command-line option), for later checks' errors."""
    environ = os.environ if env is None else env
    settings = DEFAULTS
    path = config or (Path(environ["ESSENCE_CONFIG"]) if environ.get("ESSENCE_CONFIG") else None)
    if path is not None and not path.exists():
        raise ConfigError(f"{path}: no such config file")
    if path is None and default_config_path().is_file():
        path = default_config_path()
    if path is not None:
        data = _read_config(path)
        table = data.get("rig", data)
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: rig must be a table of settings")
        settings = apply_settings(settings, table, str(path), sources=sources)
    from_env = {
        f.name: environ[f"ESSENCE_{f.name.upper()}"]
        for f in fields(Settings)
        if environ.get(f"ESSENCE_{f.name.upper()}")
    }
    settings = apply_settings(settings, from_env, "environment (ESSENCE_*)", sources=sources)
    given = {k: v for k, v in (overrides or {}).items() if v is not None}
    return apply_settings(settings, given, "command line", names=SETTING_OPTIONS, sources=sources)


def _read_config(path: Path) -> dict[str, Any]:
    """The settings file's TOML; ConfigError in one line naming it when it cannot be read (a
    FIFO or a device is refused at once, never read) or parsed (nesting too deep included)."""
    from performance.core.files import parse_toml, read_text, reason

    try:
        return parse_toml(read_text(path))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file ({reason(exc)})") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None


def apply_settings(settings: Settings, values: Mapping[str, Any], where: str, *,
                   names: Mapping[str, str] | None = None,
                   sources: dict[str, str] | None = None) -> Settings:
    """`values` over `settings`; errors say `where` and the key (or its name in `names`);
    `sources` records `where` (and the name) for each key applied."""
    known = {f.name: f for f in fields(Settings)}
    changes: dict[str, Any] = {}
    for key, raw in values.items():
        if key not in known:
            raise ConfigError(f"{where}: unknown setting '{key}' (known: {', '.join(known)})")
        default = getattr(DEFAULTS, key)
        shown = (names or {}).get(key, key)
        changes[key] = _coerce(key, raw, type(default), where, shown)
        if sources is not None:
            sources[key] = where if shown == key else f"{where} ({shown})"
    return replace(settings, **changes)


def _short(raw: Any) -> str:
    text = repr(raw)
    return text if len(text) <= 80 else text[:77] + "..."


def _coerce(key: str, raw: Any, kind: type, where: str, shown: str) -> Any:
    try:
        if kind is bool:
            if isinstance(raw, str):
                if raw.lower() not in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
                    raise ValueError(raw)
                value: Any = raw.lower() in {"1", "true", "yes", "on"}
            else:
                value = bool(raw)
        elif isinstance(raw, bool):  # TOML's true is no number (Python's bool is an int)
            raise ValueError(raw)
        elif kind is int:
            if isinstance(raw, float) and not raw.is_integer():
                raise ValueError(raw)
            value = int(raw)
        elif kind is float:
            value = float(raw)
            if not math.isfinite(value):
                raise ValueError(raw)
        else:
            value = str(raw)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ConfigError(f"{where}: {shown} must be {kind.__name__}, got {_short(raw)}") from exc
    if key in _CHOICES and value not in _CHOICES[key]:
        raise ConfigError(f"{where}: {shown} must be one of {', '.join(_CHOICES[key])}, "
                          f"got {value!r}")
    if key in _FORMS and not re.fullmatch(_FORMS[key][0], value):
        raise ConfigError(f"{where}: {shown} must be {_FORMS[key][1]}, got {value!r}")
    if key in _LIMITS:
        low, high = _LIMITS[key]
        if not low <= value <= high:
            raise ConfigError(f"{where}: {shown} = {value} is outside [{low}, {high}]")
    return value
