"""Assembling the show: the one place that decides which show a run plays, live or offline.

Owns the visual catalog (visual name -> declared inputs, read from the shader headers without
a GL context, so the show layer never imports the renderer), loading a show file against it,
what `--visual` means and how it is checked, and `build_show`: the cue list's sequencer
(wrapped in AutoGo when GO is pressed by itself), or else the autopilot. `essence run`,
`rehearse` and `render` all come through here, so the same settings give the same show.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from performance.config import DEFAULT_CUES, Settings
from performance.core.errors import ConfigError
from performance.core.inputs import ShaderInput
from performance.show.autogo import AutoGo
from performance.show.autopilot import Autopilot
from performance.show.cuefile.model import Catalog, CueList
from performance.show.frame import Show
from performance.show.seqoptions import SequencerOptions
from performance.show.sequencer import Sequencer

HOLD_SECONDS = 3600.0  # `--visual`: a programme of that one visual (it loops onto itself)


def scan_visuals(root: Path | None = None) -> tuple[Catalog, dict[str, str]]:
    """Declared inputs of every visual in a shader folder, read from the shader headers
    without a GL context, plus the header errors by visual (such a visual has no inputs)."""
    from performance.render.source import BUILTIN_VISUALS, ShaderError, load_shader, shader_files
    from performance.render.uniforms import SHADER_ROOT

    folder = Path(root) if root is not None else SHADER_ROOT
    catalog: dict[str, tuple[ShaderInput, ...]] = {name: () for name in BUILTIN_VISUALS}
    errors: dict[str, str] = {}
    for name, path in shader_files(folder).items():
        try:
            catalog[name] = load_shader(path, root=folder).inputs
        except ShaderError as exc:
            catalog[name] = ()
            errors[name] = str(exc)
    return catalog, errors


def shader_catalog(root: Path | None = None) -> Catalog:
    """Visual name -> declared inputs, for `load_cue_file` (see `scan_visuals`)."""
    return scan_visuals(root)[0]


def load_show(path: Path | None = None, shaders: Path | None = None) -> CueList:
    """Load a show file (default: the Neo-Lumen show) against the shader catalog."""
    from performance.audio.palettes import palette_names
    from performance.show.cuefile.load import load_cue_file

    return load_cue_file(path or DEFAULT_CUES, shader_catalog(shaders), palette_names())


def check_visual(visual: str | None, visuals: Collection[str], *, cues: str = "") -> None:
    """The one check of `--visual NAME` (hold that one visual, autopilot only): it excludes a
    cue list (`cues`, which picks the visuals itself) and must name a known visual."""
    if visual is None:
        return
    if cues:
        raise ConfigError("--visual and --cues exclude each other: the cue list picks visuals")
    if visual not in visuals:
        raise ConfigError(f"--visual: unknown visual {visual!r} "
                          f"(known: {', '.join(sorted(visuals))})")


def build_show(settings: Settings, *, visual: str | None, visuals: Collection[str],
               auto_go: float | None = None) -> Show:
    """The show a run plays: the sequencer of `settings.cues` (pressing GO by itself after
    `auto_go` seconds of waiting, default `settings.auto_go`, when above 0), else the
    autopilot, holding `visual` when given (checked by `check_visual` against `visuals`)."""
    check_visual(visual, visuals, cues=settings.cues)
    if settings.cues:
        sequencer = Sequencer(load_show(Path(settings.cues)),
                              SequencerOptions.from_settings(settings), locked=settings.show_mode)
        after = settings.auto_go if auto_go is None else auto_go
        return AutoGo(sequencer, after) if after > 0 else sequencer
    if visual is None:
        return Autopilot()
    return Autopilot(programme=((visual, HOLD_SECONDS),))
