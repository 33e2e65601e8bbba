"""Wiring for `essence analyze` and `essence baseline`: inputs, detector, engine, output."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO

import numpy as np

from performance.analysis.analyze import (
    InputSummary,
    Row,
    analyze_source,
    format_summary,
    stderr_is_terminal,
    write_csv,
)
from performance.config import Settings
from performance.core.errors import ConfigError, InputError, Interrupted, OutputError
from performance.core.files import check_writable, commit, kept_note, temp_path_for
from performance.emotion.baseline import save_baseline
from performance.emotion.mapping import EmotionMapping
from performance.perception.worker import Detector
from performance.runtime.pipeline import (
    camera_from_settings,
    engine_from_settings,
    landmarker_factory,
)
from performance.sources.base import FrameSource
from performance.sources.factory import expand_inputs, is_image_path
from performance.sources.images import ImageSource
from performance.sources.video import VideoFileSource
from performance.venue.camera import CameraCalibration


class _Detectors:
    """One IMAGE-mode detector shared by stills, a fresh VIDEO-mode one per clip."""

    def __init__(self, settings: Settings) -> None:
        self._image = landmarker_factory(settings, "image")  # the model is resolved here
        self._video = landmarker_factory(settings, "video")
        self.camera = camera_from_settings(settings)  # frames turned/cut; zones: in the spec
        self._still: Detector | None = None

    def for_source(self, still: bool) -> contextlib.AbstractContextManager[Detector]:
        if still:
            if self._still is None:
                self._still = self._image()
            return contextlib.nullcontext(self._still)
        return contextlib.closing(self._video())

    def close(self) -> None:
        if self._still is not None:
            self._still.close()


def _open(path: Path) -> FrameSource:
    return ImageSource([path]) if is_image_path(path) else VideoFileSource(path)


def _calibrated(source: FrameSource, camera: CameraCalibration | None) -> FrameSource:
    """`source` turned and cut by the camera calibration (as it is without one)."""
    if camera is not None and camera.changes_picture:
        from performance.sources.transform import CalibratedSource

        return CalibratedSource(source, camera)
    return source


def _from_folders(inputs: Sequence[str]) -> Callable[[Path], bool]:
    """Whether an expanded path came out of a folder (not named on the command line)."""
    named = {Path(p).expanduser() for p in inputs if not Path(p).expanduser().is_dir()}
    return lambda path: path not in named


def _check_inputs(paths: Sequence[Path], in_folder: Callable[[Path], bool]) -> int:
    """Open every input named on the command line once, so a bad one fails before any work
    (naming it); returns the frames all inputs hold (a still counts one). Each is opened
    again when its turn comes. An image found in a folder is read only then (one that
    cannot be read is skipped, `_all_rows`)."""
    total = 0
    for path in paths:
        if in_folder(path) and is_image_path(path):
            total += 1
            continue
        with _open(path) as source:
            total += 1 if source.frame_count is None else source.frame_count
    return total


def _open_or_skip(path: Path, in_folder: Callable[[Path], bool],
                  skipped: list[str], camera: CameraCalibration | None = None
                  ) -> FrameSource | None:
    """The input opened (turned and cut by `camera`); None for an unreadable image of a
    folder, reported once on its own line (and added to `skipped`); anything else that
    cannot be opened raises."""
    try:
        return _calibrated(_open(path), camera)
    except InputError as exc:
        if not (is_image_path(path) and in_folder(path)):
            raise
        skipped.append(str(path))
        print(f"essence: {exc}; skipped", file=sys.stderr, flush=True)
        return None


def _all_rows(
    paths: Sequence[Path], settings: Settings, summaries: list[InputSummary], progress: bool,
    *, in_folder: Callable[[Path], bool], skipped: list[str],
    stop: Callable[[], bool] | None = None, writing: Path | None = None,
) -> Iterator[list[Row]]:
    from tqdm import tqdm

    engine = engine_from_settings(settings)
    detectors = _Detectors(settings)
    try:
        total = _check_inputs(paths, in_folder)
        bar = tqdm(total=total, unit="frame", disable=not progress or total < 30,
                   file=sys.stderr)
        try:
            for path in paths:
                still = is_image_path(path)
                source = _open_or_skip(path, in_folder, skipped, detectors.camera)
                if source is None:
                    bar.update(1)
                    continue
                summary = InputSummary(str(path))
                summaries.append(summary)
                with source, detectors.for_source(still) as detector:
                    for rows in analyze_source(
                        source, detector, engine, label=str(path), progress=bar.update
                    ):
                        if stop is not None and stop():
                            where = writing or path
                            raise Interrupted.on_request(where, "analyze", stop,
                                                         f"; {kept_note(where)}")
                        summary.add(rows)
                        yield rows
            if skipped and not summaries:  # all unreadable: fail before a CSV is in place
                raise InputError(skipped[0] if len(skipped) == 1 else f"{skipped[0]} and "
                                 f"{len(skipped) - 1} more", "no readable image: nothing "
                                 "was analysed")
        finally:
            bar.close()
    finally:
        detectors.close()


class _Sink:
    """The CSV file being written: a failed write (a full disk) is an OutputError naming the
    target, never a traceback."""

    def __init__(self, fh: IO[str], target: Path) -> None:
        self.fh, self.target = fh, target

    def write(self, text: str) -> int:
        try:
            return self.fh.write(text)
        except OSError as exc:
            raise OutputError(self.target, exc, kept=kept_note(self.target)) from exc


def _write_csv_file(rows: Iterator[list[Row]], csv_out: Path) -> None:
    """Stream the CSV beside the target (`.NAME.PID.partial.csv`), fsync it and rename it
    over the target when whole; any failure or stop leaves no partial and an old file as it
    was (a write that fails is an OutputError naming the target)."""
    partial = temp_path_for(csv_out)
    try:
        try:
            fh = partial.open("w", encoding="utf-8", newline="")
        except OSError as exc:
            raise OutputError(csv_out, exc, kept=kept_note(csv_out)) from exc
        try:
            write_csv(rows, _Sink(fh, csv_out))
            try:
                fh.flush()
                os.fsync(fh.fileno())
                fh.close()
            except OSError as exc:
                raise OutputError(csv_out, exc, kept=kept_note(csv_out)) from exc
        finally:
            with contextlib.suppress(OSError):  # what a full disk kept buffered is dropped
                fh.close()
        commit(partial, csv_out)
    finally:
        partial.unlink(missing_ok=True)


def run_analyze(
    inputs: Sequence[str], settings: Settings, *, csv_out: Path | None, progress: bool = True,
    stop: Callable[[], bool] | None = None,
) -> int:
    """Analyse every input; write CSV rows to `csv_out` (or '-') or print a summary table.
    An image in a folder that cannot be read is reported once and skipped (the others are
    analysed); a bad input named on the command line fails before any work. `stop()` is
    asked before each frame (SIGTERM: `essence analyze`): then Interrupted, no CSV kept."""
    paths = expand_inputs(inputs)
    to_file = csv_out is not None and str(csv_out) != "-"
    if to_file:
        assert csv_out is not None
        # before any work; removes stale partials
        check_writable(csv_out, option="--csv", example="faces.csv")
    summaries: list[InputSummary] = []
    skipped: list[str] = []
    rows = _all_rows(paths, settings, summaries, progress and stderr_is_terminal(),
                     in_folder=_from_folders(inputs), skipped=skipped, stop=stop,
                     writing=csv_out if to_file else None)
    if csv_out is None:
        for _ in rows:
            pass
        print(format_summary(summaries))
    elif not to_file:
        write_csv(rows, sys.stdout)
    else:
        _write_csv_file(rows, csv_out)
        print(f"wrote {csv_out} ({sum(s.readings for s in summaries)} face rows)")
    return 0


def run_baseline(inputs: Sequence[str], settings: Settings, *, out: Path) -> int:
    """Average the resting features of every face found and write them as a baseline TOML."""
    mapping = EmotionMapping.load()
    paths = expand_inputs(inputs)
    check_writable(out, option="--out", example="baseline.toml")  # before any work
    in_folder = _from_folders(inputs)
    detectors = _Detectors(settings)
    vectors: list[np.ndarray] = []
    try:
        for path in paths:
            still = is_image_path(path)
            source = _open_or_skip(path, in_folder, [], detectors.camera)
            if source is None:
                continue
            with source, detectors.for_source(still) as detector:
                for frame in source:
                    for face in detector.detect(frame).faces:
                        vectors.append(mapping.features(face.blendshapes))
    finally:
        detectors.close()
    if not vectors:
        raise ConfigError(f"{', '.join(inputs)}: no face found, so no baseline was written")
    save_baseline(out, mapping.feature_names, np.mean(vectors, axis=0))
    print(f"wrote {out} (mean of {len(vectors)} face readings)")
    return 0
