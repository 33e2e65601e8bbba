"""Show files and the visual catalog they are checked against.

The catalog (visual name -> declared inputs) is read from the shader headers without a GL
context; the app hands it to the cue loader, so the show layer never imports the renderer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

DEFAULT_CUES = Path(__file__).resolve().parents[2] / "cues" / "neo_lumen.toml"


def scan_visuals(root: Path | None = None) -> tuple[dict[str, tuple[Any, ...]], dict[str, str]]:
    """Declared inputs of every visual in a shader folder, read from the shader headers
    without a GL context, plus the header errors by visual (such a visual has no inputs)."""
    from performance.render.source import (
        BUILTIN_VISUALS,
        ShaderError,
        load_shader,
        shader_files,
    )
    from performance.render.uniforms import SHADER_ROOT

    folder = Path(root) if root is not None else SHADER_ROOT
    catalog: dict[str, tuple[Any, ...]] = {name: () for name in BUILTIN_VISUALS}
    errors: dict[str, str] = {}
    for name, path in shader_files(folder).items():
        try:
            catalog[name] = load_shader(path, root=folder).inputs
        except ShaderError as exc:
            catalog[name] = ()
            errors[name] = str(exc)
    return catalog, errors


def shader_catalog(root: Path | None = None) -> dict[str, tuple[Any, ...]]:
    """Visual name -> declared inputs, for `load_cue_file` (see `scan_visuals`)."""
    return scan_visuals(root)[0]


def load_show(path: Path | None = None, shaders: Path | None = None) -> Any:
    """Load a show file (default: the Neo-Lumen show) against the shader catalog."""
    from performance.show.cuefile.load import load_cue_file

    return load_cue_file(path or DEFAULT_CUES, shader_catalog(shaders))
