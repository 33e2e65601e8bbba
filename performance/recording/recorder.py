"""The recorder: records go into a bounded queue; a writer thread turns them into JSON lines.

`Recorder.record()` never waits (the render loop calls it): a full queue drops the record
(counted, logged once). The writer thread opens the hidden temp file beside the target
(`core.files.temp_path_for`), writes the header and one line per record, flushing after
each batch, and on `close()` renames it onto the target. A write error (a full disk, the
folder gone) is logged once with the path; recording stops there (`failed` says why), the
lines written so far are still renamed into place and the show goes on. A crash leaves the
temp file, readable as it is (`read_recording` drops a cut-short last line).
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TextIO

from platformdirs import user_data_dir

from performance.config import APP_NAME
from performance.core.files import reason, temp_path_for
from performance.recording.format import SUFFIX, encode, encode_header
from performance.recording.records import Header, Record

log = logging.getLogger(__name__)

QUEUE_SIZE = 8192  # records waiting for the writer (~30 s of a 60 fps show with one face)
CLOSE_TIMEOUT_S = 5.0  # how long `close` waits for the writer to empty the queue

Opener = Callable[[Path], TextIO]
"""Opens the temp file for writing (tests pass a slow or failing one)."""


def recordings_dir() -> Path:
    """The default folder of recordings: the user data dir's `recordings/`."""
    return Path(user_data_dir(APP_NAME)) / "recordings"


def default_path(now: datetime | None = None, folder: Path | None = None) -> Path:
    """A timestamped file name in `folder` (default `recordings_dir()`)."""
    stamp = (now or datetime.now()).strftime("%Y-%m-%d_%H-%M-%S")
    return (folder or recordings_dir()) / f"rehearsal-{stamp}{SUFFIX}"


def _open(path: Path) -> TextIO:
    return path.open("w", encoding="utf-8")


_STOP = object()


class Recorder:
    """Writes one recording to `path` (see the module docstring); start it with `start()`."""

    def __init__(self, path: Path, header: Header, *, queue_size: int = QUEUE_SIZE,
                 opener: Opener = _open) -> None:
        self.path = Path(path).expanduser()
        self.temp = temp_path_for(self.path)
        self.header = header
        self.failed: str | None = None  # why recording stopped early (a write error)
        self.dropped = 0  # records the full queue refused
        self.written = 0  # records on disk
        self._queue: queue.Queue[object] = queue.Queue(maxsize=queue_size)
        self._opener = opener
        self._open = False
        self._thread = threading.Thread(target=self._write, name="essence-recorder",
                                        daemon=True)

    @property
    def active(self) -> bool:
        """True between `start` and `close` while no write failed."""
        return self._open and self.failed is None

    def start(self) -> Recorder:
        """Start the writer thread (the file is opened there); returns self."""
        self._open = True
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

    def close(self) -> Path | None:
        """Finish: the queue written out, the file renamed into place; returns the path (None
        when nothing could be written). Never raises."""
        if not self._open:
            return None
        self._open = False
        try:
            self._queue.put(_STOP, timeout=CLOSE_TIMEOUT_S)
        except queue.Full:
            log.error("recording %s: the writer is stuck; what it wrote stays in %s",
                      self.path, self.temp)
            return None
        self._thread.join(CLOSE_TIMEOUT_S)
        if self._thread.is_alive():
            log.error("recording %s: the writer is stuck; what it wrote stays in %s",
                      self.path, self.temp)
            return None
        if not self.temp.exists():
            return None
        try:
            os.replace(self.temp, self.path)
        except OSError as exc:
            log.error("recording %s could not be put in place (%s); it stays in %s",
                      self.path, reason(exc), self.temp)
            return None
        log.info("recording saved: %s (%d records%s)", self.path, self.written,
                 f", {self.dropped} dropped" if self.dropped else "")
        return self.path

    # -- the writer thread ---------------------------------------------------------------

    def _write(self) -> None:
        fh: TextIO | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fh = self._opener(self.temp)
            fh.write(encode_header(self.header) + "\n")
            fh.flush()
            stop = False
            while not stop:
                batch = [self._queue.get()]
                while len(batch) < 512:
                    try:
                        batch.append(self._queue.get_nowait())
                    except queue.Empty:
                        break
                stop = _STOP in batch
                lines = [encode(r) + "\n" for r in batch if r is not _STOP]  # type: ignore[arg-type]
                fh.write("".join(lines))
                fh.flush()
                self.written += len(lines)
        except Exception as exc:  # a full disk, a vanished folder: the show goes on
            self.failed = reason(exc)
            log.error("recording to %s stopped: %s; the show goes on (%d records kept)",
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

    def _drain(self) -> None:
        """After a failure: take what is queued (and the stop mark) so nothing waits."""
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
