"""The recorder: records go into a bounded queue; a writer thread turns them into JSON lines.

`Recorder.record()` never waits (the render loop calls it): a full queue drops the record
(counted, logged once). The writer thread creates the in-progress file beside the target,
`NAME.incomplete.jsonl` (`incomplete_path`; `-2`, `-3` ... when one is already there: it is
never overwritten), writes the header and one line per record, flushing after each batch.
On `close()` a recording that ran to its end is fsynced and renamed onto the target; only
then is an older file of that name replaced. A write error (a full disk, the folder gone)
is logged once with the path and recording stops there (`failed` says why); the target is
left as it was, and the lines written so far stay in the in-progress file (removed when
nothing but the header, or less, got written). A crash leaves the in-progress file, readable
as it is (`read_recording` drops a cut-short last line). `close()` returns a `Saved`: where
the records are and whether the recording is complete, and its one line for the terminal.
"""

from __future__ import annotations

import io
import itertools
import logging
import os
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TextIO

from platformdirs import user_data_dir

from performance.config import APP_NAME
from performance.core.files import reason, sync_folder
from performance.recording.format import LIMIT, SUFFIX, encode, encode_header
from performance.recording.records import Header, Record

log = logging.getLogger(__name__)

QUEUE_SIZE = 8192  # records waiting for the writer (~30 s of a 60 fps show with one face)
CLOSE_TIMEOUT_S = 5.0  # how long `close` waits for the writer to empty the queue

Opener = Callable[[Path], TextIO]
"""Creates the in-progress file for writing (tests pass a slow or failing one); raises
FileExistsError when that name is taken."""

STUCK = "the disk does not answer, the writer is stuck"


def recordings_dir() -> Path:
    """The default folder of recordings: the user data dir's `recordings/`."""
    return Path(user_data_dir(APP_NAME)) / "recordings"


def default_path(now: datetime | None = None, folder: Path | None = None) -> Path:
    """A timestamped file name in `folder` (default `recordings_dir()`) that no file has yet
    (`-2`, `-3` ... after the time when two recordings start in the same second)."""
    stamp = (now or datetime.now()).strftime("%Y-%m-%d_%H-%M-%S")
    base = (folder or recordings_dir()) / f"rehearsal-{stamp}{SUFFIX}"
    return next(p for p in _numbered(base) if not p.exists())


def _numbered(path: Path) -> Iterator[Path]:
    """`path`, then `STEM-2.SUFFIX`, `STEM-3.SUFFIX`, ..."""
    yield path
    for i in itertools.count(2):
        yield path.with_name(f"{path.stem}-{i}{path.suffix}")


def incomplete_path(target: Path) -> Path:
    """Where a recording to `target` is written until it is complete: `NAME.incomplete.jsonl`
    beside it (a crash or a write error leaves it there, under that name)."""
    return target.with_name(f"{target.stem}.incomplete{SUFFIX}")


def _open(path: Path) -> TextIO:
    return path.open("x", encoding="utf-8")  # never over an earlier incomplete recording


@dataclass(frozen=True)
class Saved:
    """What a recording left: `saved` is the target when the recording is complete, the
    in-progress file when a write error cut it short after some records, None when nothing
    was kept; `old` says whether the target held an older file (then left as it was)."""

    target: Path
    saved: Path | None
    written: int
    dropped: int = 0
    failed: str | None = None
    old: bool = False
    capped: bool = False  # stopped at `LIMIT` bytes, the most a replay reads

    @property
    def complete(self) -> bool:
        """True when every record was written and the file is at the target."""
        return self.failed is None and self.dropped == 0 and not self.capped

    def problem(self) -> str | None:
        """One line naming the target and what was (not) saved; None when complete."""
        if self.capped and self.failed is None:
            return (f"{self.target}: recording stopped at {_size(LIMIT)}, the most a replay "
                    f"reads; the {self.written} records before are saved there")
        if self.failed is not None:
            old = "; the old file is left as it was" if self.old else ""
            if self.saved is None:
                return f"{self.target}: cannot be written ({self.failed}); nothing was " \
                       f"saved{old}"
            return (f"{self.target}: cannot be written ({self.failed}); the {self.written} "
                    f"records written before are in {self.saved}{old}")
        if self.dropped:
            return (f"{self.target}: {self.dropped} records were dropped (the disk did not "
                    "keep up); the rest is saved there, but a replay will differ")
        return None

    def line(self) -> str:
        """The terminal's line when the recording stops."""
        problem = self.problem()
        return f"essence: {problem}" if problem else f"essence: recording stopped, saved " \
                                                     f"{self.target}"


_STOP = object()


class Recorder:
    """Writes one recording to `path` (see the module docstring); start it with `start()`."""

    def __init__(self, path: Path, header: Header, *, queue_size: int = QUEUE_SIZE,
                 opener: Opener | None = None) -> None:
        self.path = Path(path).expanduser()
        self.temp = incomplete_path(self.path)  # the in-progress file (the writer may number it)
        self.header = header
        self.failed: str | None = None  # why recording stopped early (a write error)
        self.dropped = 0  # records the full queue refused
        self.written = 0  # records on disk
        self.capped = False  # the file reached `LIMIT` bytes: recording stopped there
        self._bytes = 0
        self._queue: queue.Queue[object] = queue.Queue(maxsize=queue_size)
        self._opener = opener or _open  # looked up now: a test may replace `_open`
        self._running = False
        self._created = False  # the writer made `temp` (only then is it ever removed)
        self._thread = threading.Thread(target=self._write, name="essence-recorder",
                                        daemon=True)

    @property
    def active(self) -> bool:
        """True between `start` and `close` while no write failed and the file is under
        `LIMIT`."""
        return self._running and self.failed is None and not self.capped

    def start(self) -> Recorder:
        """Start the writer thread (the file is opened there); returns self."""
        self._running = True
        self._thread.start()
        return self

    def record(self, record: Record) -> bool:
        """Queue one record without waiting; False when it was not taken (stopped, full)."""
        if not self.active:
            return False
        try:
            self._queue.put_nowait(record)
        except queue.Full:
            if self.dropped == 0:
                log.warning("recording %s: the disk is not keeping up, records are dropped "
                            "(counted)", self.path)
            self.dropped += 1
            return False
        return True

    def close(self) -> Saved | None:
        """Finish: the queue written out and, when nothing failed, the file fsynced and
        renamed onto the target; what was kept (None when never started). Never raises."""
        if not self._running:
            return None
        self._running = False
        old = self.path.exists()
        if not self._finish():
            log.error("recording %s: %s; what it wrote stays in %s", self.path, STUCK,
                      self.temp)
            self.failed = self.failed or STUCK
            return Saved(self.path, self.temp if self._created else None, self.written,
                         self.dropped, self.failed, old)
        if self.failed is None:
            try:
                os.replace(self.temp, self.path)
            except OSError as exc:
                self.failed = f"renaming it into place failed: {reason(exc)}"
                log.error("recording %s: %s", self.path, self.failed)
            else:
                sync_folder(self.path.parent)
                log.info("recording saved: %s (%d records%s)", self.path, self.written,
                         f", {self.dropped} dropped" if self.dropped else "")
                return Saved(self.path, self.path, self.written, self.dropped,
                             capped=self.capped)
        kept: Path | None = self.temp if self._created else None
        if kept is not None and self.written == 0:  # at most the header: nothing to keep
            kept.unlink(missing_ok=True)
            kept = None
        return Saved(self.path, kept, self.written, self.dropped, self.failed, old)

    def _finish(self) -> bool:
        """Hand the writer the stop mark and wait for it; False when it is stuck."""
        try:
            self._queue.put(_STOP, timeout=CLOSE_TIMEOUT_S)
        except queue.Full:
            return False
        self._thread.join(CLOSE_TIMEOUT_S)
        return not self._thread.is_alive()

    # -- the writer thread ---------------------------------------------------------------

    def _create(self) -> TextIO:
        """The in-progress file, created new (the next free number when one is there)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for candidate in itertools.islice(_numbered(incomplete_path(self.path)), 1000):
            try:
                fh = self._opener(candidate)
            except FileExistsError:
                continue
            self.temp, self._created = candidate, True
            return fh
        raise FileExistsError(f"1000 incomplete recordings of {self.path.name} are there")

    def _write(self) -> None:
        fh: TextIO | None = None
        try:
            fh = self._create()
            header = encode_header(self.header) + "\n"
            fh.write(header)
            fh.flush()
            self._bytes = len(header.encode("utf-8"))
            stop = False
            while not stop:
                batch = [self._queue.get()]
                while len(batch) < 512:
                    try:
                        batch.append(self._queue.get_nowait())
                    except queue.Empty:
                        break
                stop = _STOP in batch
                lines = self._fitting([encode(r) + "\n" for r in batch  # type: ignore[arg-type]
                                       if r is not _STOP])
                fh.write("".join(lines))
                fh.flush()
                self.written += len(lines)
            _fsync(fh)  # on the disk before the rename puts it in place
        except Exception as exc:  # a full disk, a vanished folder: the show goes on
            self.failed = reason(exc)
            log.error("recording to %s stopped: %s; the show goes on (%d records written)",
                      self.path, self.failed, self.written)
            self._drain()
        finally:
            if fh is not None:
                try:
                    fh.close()
                except Exception as exc:  # the last flush can meet the full disk too
                    if self.failed is None:
                        self.failed = reason(exc)
                        log.error("recording to %s stopped: %s; the show goes on",
                                  self.path, self.failed)

    def _fitting(self, lines: list[str]) -> list[str]:
        """The lines that keep the file within `LIMIT` bytes; past it, recording stops
        (said once): a longer file is one no replay or report reads."""
        out: list[str] = []
        for line in lines:
            size = len(line.encode("utf-8"))
            if self.capped or self._bytes + size > LIMIT:
                if not self.capped:
                    self.capped = True
                    log.warning("recording %s reached %s, the most a replay reads: "
                                "stopped (%d records saved)", self.path, _size(LIMIT),
                                self.written + len(out))
                break
            self._bytes += size
            out.append(line)
        return out

    def _drain(self) -> None:
        """After a failure: take what is queued (and the stop mark) so nothing waits."""
        while True:
            item = self._queue.get()
            if item is _STOP:
                return


def _size(n: int) -> str:
    """`n` bytes as a person reads it: whole GiB, else bytes."""
    return f"{n >> 30} GiB" if n >= 1 << 30 and not n % (1 << 30) else f"{n} bytes"


def _fsync(fh: TextIO) -> None:
    try:
        fd = fh.fileno()
    except io.UnsupportedOperation:  # a test's in-memory sink
        return
    os.fsync(fd)

