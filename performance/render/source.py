"""Shader source handling: `#version` check, `#include` expansion with a line map, and the
ISF-style JSON header that declares a shader's tunable inputs.

The header is parsed into `performance.core.inputs.ShaderInput` values (shared with the
show). What only GLSL needs lives here: each input's GLSL type (`GLSL_TYPES`) and its uniform
name `in_<NAME>` (`input_uniform`); the uniforms are declared automatically after the
`#version` line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from performance.core.errors import EssenceError
from performance.core.inputs import (
    TYPE_NAMES,
    InputType,
    InputValue,
    ShaderInput,
    components,
)
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

GLSL_TYPES: Mapping[InputType, str] = {
    InputType.FLOAT: "float", InputType.INT: "int", InputType.LONG: "int",
    InputType.BOOL: "bool", InputType.POINT2D: "vec2", InputType.COLOR: "vec4",
}
"""The GLSL type of each input type's uniform."""


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


def input_uniform(inp: ShaderInput) -> str:
    """The uniform an input is written to: `in_<NAME>`."""
    return INPUT_PREFIX + inp.name


def input_declaration(inp: ShaderInput) -> str:
    """The GLSL declaration of an input's uniform, e.g. `uniform vec4 in_tint;`."""
    return f"uniform {GLSL_TYPES[inp.type]} {input_uniform(inp)};"


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
        out.append(input_declaration(inp))
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


def _line_of_input(body: str, raw: object, header_line: int) -> int:
    name = raw.get("NAME") if isinstance(raw, dict) else None
    if isinstance(name, str):
        idx = body.find(f'"{name}"')
        if idx >= 0:
            return header_line + body.count("\n", 0, idx)
    return header_line


def _number(value: object, width: int, key: str, where: str, line: int) -> InputValue:
    vals = value if isinstance(value, list) else [value]
    numbers = [float(v) for v in vals if isinstance(v, int | float) and not isinstance(v, bool)]
    if len(vals) != width or len(numbers) != len(vals):
        raise ShaderError(where, line, f"{key} must be {width} number(s), got {value!r}")
    return numbers[0] if width == 1 else tuple(numbers)


def _parse_input(raw: object, where: str, line: int) -> ShaderInput:
    if not isinstance(raw, Mapping):
        raise ShaderError(where, line, f"each input must be an object, got {raw!r}")
    name, kind = raw.get("NAME"), raw.get("TYPE")
    if not isinstance(name, str) or not _IDENT.match(name):
        raise ShaderError(where, line, f"input NAME must be a GLSL identifier, got {name!r}")
    if not isinstance(kind, str) or kind not in TYPE_NAMES:
        raise ShaderError(where, line, f"input {name!r} has unknown TYPE {kind!r}; "
                          f"use one of {', '.join(InputType)}")
    kind = InputType(kind)
    width = kind.width
    if kind is InputType.BOOL:
        default = raw.get("DEFAULT", False)
        if not isinstance(default, bool | int):
            raise ShaderError(where, line, f"input {name!r}: DEFAULT must be true/false")
        return ShaderInput(name, kind, 1.0 if default else 0.0, 0.0, 1.0, str(raw.get("LABEL", "")))
    colour = kind is InputType.COLOR  # a color is 0..1 per component unless it says otherwise
    if "DEFAULT" not in raw:
        raise ShaderError(where, line, f"input {name!r} needs a DEFAULT")
    default = _number(raw["DEFAULT"], width, "DEFAULT", where, line)
    lo = _number(raw["MIN"], width, "MIN", where, line) if "MIN" in raw else (
        (0.0,) * width if colour else None)
    hi = _number(raw["MAX"], width, "MAX", where, line) if "MAX" in raw else (
        (1.0,) * width if colour else None)
    d, mn, mx = components(default, width), components(lo, width), components(hi, width)
    assert d is not None
    for i in range(width):
        if mn is not None and mx is not None and mn[i] > mx[i]:
            raise ShaderError(where, line, f"input {name!r}: MIN is above MAX")
        if (mn is not None and d[i] < mn[i]) or (mx is not None and d[i] > mx[i]):
            raise ShaderError(where, line,
                              f"input {name!r}: DEFAULT {raw['DEFAULT']!r} is outside MIN..MAX")
    return ShaderInput(name, kind, default, lo, hi, str(raw.get("LABEL", name)))
