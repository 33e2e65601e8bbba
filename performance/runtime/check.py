"""`essence check`: everything a show needs, checked before the doors open.

Validates the show file (every problem with file:line and cue), compiles every shader
headless (EGL), finds and verifies the face model and (for the reader that uses it) the
expression network and its runtime without downloading (each hashed in full: a file changed
in place fails), loads the emotion calibration and the venue calibrations (projector, camera)
as a run does, and lists the audio outputs.
Prints one OK/FAIL line per check and exits non-zero when anything failed. A shader whose
header is broken is reported once: by the compile check, or by the show-file check
when GL is off (`--no-gl`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from performance.config import DEFAULT_CUES, DEFAULTS
from performance.runtime.assemble import scan_visuals


class Report:
    """Collects OK/FAIL/INFO lines and remembers whether anything failed."""

    def __init__(self, emit: Callable[[str], None] = print) -> None:
        self.emit = emit
        self.failed = 0

    def ok(self, what: str, detail: str) -> None:
        self.emit(f"OK    {what}: {detail}")

    def fail(self, what: str, detail: str) -> None:
        self.failed += 1
        lines = detail.splitlines() or [""]
        self.emit(f"FAIL  {what}: {lines[0]}")
        for line in lines[1:]:
            self.emit(f"        {line}")

    def info(self, what: str, detail: str) -> None:
        self.emit(f"INFO  {what}: {detail}")


def check_cues(report: Report, path: Path, shaders: Path | None, *,
               headers: bool = True) -> None:
    """The show file against the shader headers and the audio palettes. `headers`: also
    report the shader header errors (off when `check_shaders` compiles them and reports
    the same errors itself)."""
    from performance.audio.palettes import palette_names
    from performance.show.cuefile.load import CueListError, load_cue_file

    catalog, header_errors = scan_visuals(shaders)
    for name, error in header_errors.items() if headers else ():
        report.fail(f"visual {name}", error)
    try:
        cues = load_cue_file(path, catalog, palette_names())
    except CueListError as exc:
        report.fail(f"show file {path}", f"{len(exc.errors)} problem(s)\n{exc}")
        return
    armed = sum(1 for c in cues.cues if c.when is not None)
    report.ok(f"show file {path}", f"{len(cues.acts)} acts, {len(cues.cues)} cues "
              f"({armed} audience-armed)")


def check_shaders(report: Report, shaders: Path | None) -> None:
    """Compile every visual in a headless EGL context."""
    try:
        from performance.render.headless import create_headless_context
        from performance.render.program import ShaderLibrary
        from performance.render.uniforms import SHADER_ROOT

        ctx = create_headless_context()
    except Exception as exc:  # any GL/driver failure is a finding to report, not a crash
        report.fail("shaders", f"cannot create a headless OpenGL 3.3 context ({exc})")
        return
    try:
        library = ShaderLibrary(ctx, shaders or SHADER_ROOT)
        errors = library.errors()
        names = [n for n in library.visuals() if n != "fallback"]
        library.release()
    finally:
        ctx.release()
    for name, error in sorted(errors.items()):
        report.fail(f"shader {name}", error)
    if not errors:
        report.ok("shaders", f"{len(names)} visuals compile ({', '.join(names)})")


def check_face_model(report: Report, option: str | None) -> None:
    """Find and verify the face model without downloading it."""
    from performance.core.errors import ModelError
    from performance.perception.model import resolve_model_path

    try:
        path = resolve_model_path(option or None, download=False, progress=False)
    except ModelError as exc:
        report.fail("face model", str(exc))
        return
    report.ok("face model", str(path))


def check_expression_model(report: Report, option: str | None, reader: str) -> None:
    """The expression network the reader needs: the LiteRT runtime and the model file,
    found and verified without downloading (the blendshape reader needs neither)."""
    from performance.config import Reader
    from performance.core.errors import ModelError
    from performance.perception.expression import runtime_missing
    from performance.perception.model import EXPRESSION_MODEL, resolve_model_path

    if Reader(reader) is Reader.BLENDSHAPES:
        report.info("expression model", "not used (reader blendshapes)")
        return
    missing = runtime_missing()
    if missing is not None:
        message = f"{missing}; reader {reader} needs it"
        if Reader(reader) is Reader.NETWORK:
            report.fail("expression model", message)
        else:
            report.info("expression model", f"{message}: the blendshapes will read alone")
        return
    try:
        path = resolve_model_path(option or None, model=EXPRESSION_MODEL, download=False,
                                  progress=False)
    except ModelError as exc:
        report.fail("expression model", str(exc))
        return
    report.ok("expression model", f"{path} (reader {reader})")


def check_calibration(report: Report, reader: str) -> None:
    """The emotion calibration (`calibration/emotion.toml`), loaded exactly as a run loads it
    (`pipeline.engine_from_settings`): a file that `essence run` would refuse fails here,
    naming the file and the key."""
    from performance.config import Settings
    from performance.core.errors import EssenceError
    from performance.runtime.pipeline import engine_from_settings

    try:
        mapping = engine_from_settings(Settings(reader=reader)).mapping
    except EssenceError as exc:
        report.fail("calibration", str(exc))
        return
    fusion = "with" if mapping.fusion is not None else "without"
    report.ok("calibration", f"{mapping.source}: {len(mapping.feature_names)} features, "
                             f"{fusion} the [fusion] table (reader {reader})")


def check_venue(report: Report, projector: str, camera: str) -> None:
    """The venue calibrations the settings name (projector mapping, camera), loaded as a run
    loads them: a file `run` would refuse fails here, naming the file and key."""
    from performance.core.errors import EssenceError
    from performance.venue.camera import load_camera
    from performance.venue.projector import load_projector

    if not projector:
        report.info("projector calibration", "none (the picture is not mapped)")
    else:
        try:
            mapping = load_projector(Path(projector))
        except EssenceError as exc:
            report.fail("projector calibration", str(exc))
        else:
            mesh = f", {mapping.mesh.columns}x{mapping.mesh.rows} mesh" if mapping.mesh else ""
            width, height = mapping.size
            report.ok("projector calibration", f"{projector}: {mapping.output} "
                      f"{width}x{height}, corner-pin{mesh}")
    if not camera:
        report.info("camera calibration", "none (the whole picture counts)")
        return
    try:
        cal = load_camera(Path(camera))
    except EssenceError as exc:
        report.fail("camera calibration", str(exc))
        return
    performer = ", a performer zone" if cal.performer_zone is not None else ""
    report.ok("camera calibration", f"{camera}: {len(cal.ignore_zones)} ignore zone(s)"
                                    f"{performer}")


def check_audio(report: Report) -> None:
    """List the audio outputs (none is not a failure: the show runs silent)."""
    from performance.audio.device import list_audio_devices

    try:
        devices = list_audio_devices()
    except Exception as exc:  # PortAudio errors are findings, reported not raised
        report.fail("audio", f"cannot list output devices ({exc})")
        return
    if not devices:
        report.info("audio", "no output devices: the show will run silent")
    else:
        report.ok("audio", f"{len(devices)} output(s): " + "; ".join(str(d) for d in devices))


def run_check(cues: Path | None, *, face_model: str | None, shaders: Path | None = None,
              gl: bool = True, emit: Callable[[str], None] = print,
              expression_model: str | None = None, reader: str = DEFAULTS.reader,
              extra: Callable[[Report], None] | None = None,
              projector_calibration: str = "", camera_calibration: str = "") -> int:
    """Run every check (and `extra`'s, e.g. the kiosk's); returns 0 when all passed, 1
    otherwise."""
    report = Report(emit)
    check_cues(report, cues or DEFAULT_CUES, shaders, headers=not gl)
    if gl:
        check_shaders(report, shaders)
    check_face_model(report, face_model)
    check_expression_model(report, expression_model, reader)
    check_calibration(report, reader)
    check_venue(report, projector_calibration, camera_calibration)
    check_audio(report)
    if extra is not None:
        extra(report)
    emit("check passed" if not report.failed else f"check FAILED: {report.failed} problem(s)")
    return 0 if not report.failed else 1
