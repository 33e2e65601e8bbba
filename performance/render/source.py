"""Shader source handling: `#version` check, `#include` expansion with a line map, and the
ISF-style JSON header that declares a shader's tunable inputs.

Inputs become uniforms named `in_<NAME>`, declared automatically after the `#version` line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from performance.core.errors import EssenceError
from performance.render.uniforms import INPUT_PREFIX, SHADER_ROOT

_VERSION = re.compile(r"^\s*#version\s+330(\s+core)?\s*$")
_INCLUDE = re.compile(r'^\s*#include\s+"([^"]+)"\s*$')
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Compiler log locations: Mesa "0:12(5):", NVIDIA "0(12) :", others "ERROR: 0:12:".
_LOG_LOCATIONS = (
    re.compile(r"(?P<s>\d+):(?P<line>\d+)\((?P<col>\d+)\)"),
    re.compile(r"(?P<s>\d+)\((?P<line>\d+)\)"),
    re.compile(r"(?<=ERROR: )(?P<s>\d+):(?P<line>\d+)"),
)

INPUT_TYPES: dict[str, str] = {
    "float": "float", "int": "int", "long": "int", "bool": "bool",
    "point2D": "vec2", "color": "vec4",
}
_WIDTH = {"float": 1, "int": 1, "long": 1, "bool": 1, "point2D": 2, "color": 4}


BUILTIN_VISUALS = ("fallback", "blackout")
"""Visuals every library has without a file: `fallback` (shown for a visual that never
compiled; a `fallback.frag` is ignored) and `blackout` (pure black; a `blackout.frag` may
replace it)."""


def shader_files(root: Path) -> dict[str, Path]:
    """The visuals in a shaders folder: file stem -> path of each `*.frag`, sorted by name,
    without `fallback` (built in, never replaced). An unreadable folder has none."""
    try:
        entries = sorted(Path(root).glob("*.frag"))
    except OSError:
        return {}
    return {p.stem: p for p in entries if p.stem != "fallback"}


class ShaderError(EssenceError):
    """A shader could not be loaded or compiled; the message names file and line."""

    def __init__(self, where: str | Path, line: int | None, reason: str) -> None:
        self.where = str(where)
        self.line = line
        self.reason = reason
        loc = f"{self.where}:{line}" if line else self.where
        super().__init__(f"{loc}: {reason}")


class UnknownVisualError(ShaderError):
    """A visual name that is not a shader in the library (lists the ones that are)."""

    def __init__(self, name: str, available: list[str], root: Path) -> None:
        super().__init__(root, None, f"no visual named {name!r}; available: "
                         + (", ".join(available) or "(none)"))


def display_path(path: Path) -> str:
    """Path as shown to people: relative to the repository when inside it."""
    try:
        return str(path.resolve().relative_to(SHADER_ROOT.parent))
    except ValueError:
        return str(path)


@dataclass(frozen=True)
class ShaderInput:
    """One tunable input of a shader (ISF style); uniform name is `in_<name>`."""

    name: str
    type: str
    default: float | tuple[float, ...]
    minimum: float | tuple[float, ...] | None = None
    maximum: float | tuple[float, ...] | None = None
    label: str = ""

    @property
    def uniform(self) -> str:
        return INPUT_PREFIX + self.name

    @property
    def glsl_type(self) -> str:
        return INPUT_TYPES[self.type]

    def coerce(self, value: Any) -> float | tuple[float, ...]:
        """Turn a value from a cue or OSC into this input's shape, clamped to MIN..MAX."""
        width = _WIDTH[self.type]
        vals = [float(v) for v in (value if isinstance(value, list | tuple) else [value])]
        if len(vals) != width:
            raise ValueError(f"input {self.name!r} takes {width} number(s), got {len(vals)}")
        lo = _as_list(self.minimum, width)
        hi = _as_list(self.maximum, width)
        default = _as_list(self.default, width) or [0.0] * width
        out = []
        for i, v in enumerate(vals):
            if v != v:  # NaN
                v = default[i]
            if lo is not None:
                v = max(v, lo[i])
            if hi is not None:
                v = min(v, hi[i])
            if self.type in ("int", "long"):
                v = float(round(v))
            elif self.type == "bool":
                v = 1.0 if v >= 0.5 else 0.0
            out.append(v)
        return out[0] if width == 1 else tuple(out)


def _as_list(v: float | tuple[float, ...] | None, width: int) -> list[float] | None:
    if v is None:
        return None
    return [float(x) for x in v] if isinstance(v, tuple) else [float(v)] * width


@dataclass(frozen=True)
class ShaderSource:
    """An expanded fragment shader with a map from expanded lines to (file, line)."""

    path: Path
    text: str
    line_map: tuple[tuple[Path, int], ...]
    inputs: tuple[ShaderInput, ...] = ()
    description: str = ""
    files: frozenset[Path] = field(default_factory=frozenset)

    def locate(self, expanded_line: int) -> tuple[Path, int]:
        """(file, line) of the original source for a 1-based line of the expanded text."""
        if 1 <= expanded_line <= len(self.line_map):
            return self.line_map[expanded_line - 1]
        return (self.path, expanded_line)

    def map_log(self, log: str) -> str:
        """Rewrite a compiler log so every location reads `file:line` of the original."""
        out = []
        for raw in log.splitlines():
            for pattern in _LOG_LOCATIONS:
                m = pattern.search(raw)
                if m:
                    path, line = self.locate(int(m.group("line")))
                    col = m.groupdict().get("col")
                    loc = f"{display_path(path)}:{line}" + (f":{col}" if col else "")
                    raw = raw[: m.start()] + loc + raw[m.end():]
                    break
            out.append(raw)
        return "\n".join(out)


def load_shader(
    path: Path, *, root: Path = SHADER_ROOT, deps: set[Path] | None = None
) -> ShaderSource:
    """Read, check and expand one fragment shader. Raises ShaderError naming file and line.

    `deps`, when given, collects every file read (also when loading fails) for hot reload.
    """
    path = Path(path)
    deps = deps if deps is not None else set()
    lines = _read(path, None, deps)
    if not lines or not _VERSION.match(lines[0]):
        raise ShaderError(display_path(path), 1, "the first line must be '#version 330'")
    inputs, description, header_line = parse_header("\n".join(lines), path)
    out: list[str] = [lines[0]]
    line_map: list[tuple[Path, int]] = [(path, 1)]
    for inp in inputs:
        out.append(f"uniform {inp.glsl_type} {inp.uniform};")
        line_map.append((path, header_line))
    seen: set[Path] = set()
    _expand(path, lines, 2, root, [path.resolve()], seen, out, line_map, deps)
    return ShaderSource(
        path=path, text="\n".join(out) + "\n", line_map=tuple(line_map),
        inputs=inputs, description=description, files=frozenset(deps),
    )


def _read(path: Path, where: tuple[Path, int] | None, deps: set[Path]) -> list[str]:
    deps.add(path.resolve())
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        if where is None:
            raise ShaderError(display_path(path), None, f"cannot read shader: {exc}") from exc
        raise ShaderError(
            display_path(where[0]), where[1], f"cannot include {path}: {exc}"
        ) from exc


def _expand(
    path: Path, lines: list[str], first: int, root: Path, stack: list[Path], seen: set[Path],
    out: list[str], line_map: list[tuple[Path, int]], deps: set[Path],
) -> None:
    for number, text in enumerate(lines[first - 1:], start=first):
        m = _INCLUDE.match(text)
        if m is None:
            if text.lstrip().startswith("#version"):
                raise ShaderError(display_path(path), number,
                                  "#version is only allowed on the first line of a visual")
            out.append(text)
            line_map.append((path, number))
            continue
        target = (root / m.group(1)).resolve()
        if target in stack:
            chain = " -> ".join(display_path(p) for p in [*stack, target])
            raise ShaderError(display_path(path), number, f"#include cycle: {chain}")
        if target in seen:
            out.append(f"// (already included) {m.group(1)}")
            line_map.append((path, number))
            continue
        seen.add(target)
        sub = _read(target, (path, number), deps)
        out.append(f"// begin {m.group(1)}")
        line_map.append((path, number))
        _expand(target, sub, 1, root, [*stack, target], seen, out, line_map, deps)


def _header_span(text: str) -> tuple[str, int] | None:
    """The JSON text of the first `/* { ... } */` comment and the line where it starts."""
    start = text.find("/*")
    if start < 0:
        return None
    end = text.find("*/", start + 2)
    if end < 0:
        return None
    body = text[start + 2:end]
    if not body.strip().startswith("{"):
        return None
    return body, text.count("\n", 0, start) + 1


def parse_header(text: str, path: Path) -> tuple[tuple[ShaderInput, ...], str, int]:
    """Parse the ISF-style JSON header: (inputs, description, line of the header)."""
    span = _header_span(text)
    if span is None:
        return (), "", 1
    body, header_line = span
    where = display_path(path)
    try:
        doc = json.loads(body)
    except json.JSONDecodeError as exc:
        raise ShaderError(where, header_line + exc.lineno - 1,
                          f"invalid JSON header: {exc.msg}") from exc
    if not isinstance(doc, dict):
        raise ShaderError(where, header_line, "JSON header must be an object")
    raw_inputs = doc.get("INPUTS", [])
    if not isinstance(raw_inputs, list):
        raise ShaderError(where, header_line, "INPUTS must be a list")
    inputs: list[ShaderInput] = []
    for raw in raw_inputs:
        line = _line_of_input(body, raw, header_line)
        inp = _parse_input(raw, where, line)
        if any(i.name == inp.name for i in inputs):
            raise ShaderError(where, line, f"input {inp.name!r} is declared twice")
        inputs.append(inp)
    return tuple(inputs), str(doc.get("DESCRIPTION", "")), header_line


def _line_of_input(body: str, raw: Any, header_line: int) -> int:
    name = raw.get("NAME") if isinstance(raw, dict) else None
    if isinstance(name, str):
        idx = body.find(f'"{name}"')
        if idx >= 0:
            return header_line + body.count("\n", 0, idx)
    return header_line


def _number(value: Any, width: int, key: str, where: str, line: int) -> float | tuple:
    vals = value if isinstance(value, list) else [value]
    if len(vals) != width or not all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in vals
    ):
        raise ShaderError(where, line, f"{key} must be {width} number(s), got {value!r}")
    return float(vals[0]) if width == 1 else tuple(float(v) for v in vals)


def _parse_input(raw: Any, where: str, line: int) -> ShaderInput:
    if not isinstance(raw, Mapping):
        raise ShaderError(where, line, f"each input must be an object, got {raw!r}")
    name, kind = raw.get("NAME"), raw.get("TYPE")
    if not isinstance(name, str) or not _IDENT.match(name):
        raise ShaderError(where, line, f"input NAME must be a GLSL identifier, got {name!r}")
    if kind not in INPUT_TYPES:
        raise ShaderError(where, line, f"input {name!r} has unknown TYPE {kind!r}; "
                          f"use one of {', '.join(INPUT_TYPES)}")
    width = _WIDTH[kind]
    if kind == "bool":
        default = raw.get("DEFAULT", False)
        if not isinstance(default, bool | int):
            raise ShaderError(where, line, f"input {name!r}: DEFAULT must be true/false")
        return ShaderInput(name, kind, 1.0 if default else 0.0, 0.0, 1.0, str(raw.get("LABEL", "")))
    lo_default = [0.0] * width if kind == "color" else None
    hi_default = [1.0] * width if kind == "color" else None
    if "DEFAULT" not in raw:
        raise ShaderError(where, line, f"input {name!r} needs a DEFAULT")
    default = _number(raw["DEFAULT"], width, "DEFAULT", where, line)
    lo = _number(raw["MIN"], width, "MIN", where, line) if "MIN" in raw else (
        tuple(lo_default) if lo_default else None)
    hi = _number(raw["MAX"], width, "MAX", where, line) if "MAX" in raw else (
        tuple(hi_default) if hi_default else None)
    d, mn, mx = _as_list(default, width), _as_list(lo, width), _as_list(hi, width)
    assert d is not None
    for i in range(width):
        if mn is not None and mx is not None and mn[i] > mx[i]:
            raise ShaderError(where, line, f"input {name!r}: MIN is above MAX")
        if (mn is not None and d[i] < mn[i]) or (mx is not None and d[i] > mx[i]):
            raise ShaderError(where, line,
                              f"input {name!r}: DEFAULT {raw['DEFAULT']!r} is outside MIN..MAX")
    return ShaderInput(name, kind, default, lo, hi, str(raw.get("LABEL", name)))
