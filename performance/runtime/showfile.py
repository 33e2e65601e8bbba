"""Following edits of the show file in a child process, never on the render thread.

Owns `ShowFileParse` (one edit read, parsed and checked by `load_cue_file` in a spawned
process, its cue list sent back in pieces) and `_collector_held` (the cyclic garbage
collector held off while a big cue list is built, then frozen). `runtime.services` starts
one per edit and switches the sequencer to its result.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import threading
import time
from collections.abc import Iterator
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from performance.show.cuefile.load import CueError, CueListError, load_cue_file
from performance.show.cuefile.model import Catalog, CueList

log = logging.getLogger(__name__)

CUE_CHUNK = 500  # cues per message from the show-file process (each unpickles in ~5 ms)
PARSE_TIMEOUT_S = 120.0  # a show file not loaded by then is refused (the process is killed)


class _Cancelled(Exception):
    """A newer edit replaced the one being loaded."""


class ShowFileParse:
    """One edit of the show file read, parsed and checked (`load_cue_file`) in a child
    process, where it never holds the interpreter lock that the render thread needs (in a
    thread here, a 5 MB file still stopped the picture for up to 0.7 s at a time on a busy
    CPU). The checked cue list comes back in pieces of CUE_CHUNK cues to a daemon thread here;
    `result` is the CueList, or the CueListError naming file:line, once `done()`."""

    def __init__(self, path: Path, catalog: Catalog, mtime: float) -> None:
        self.path, self.mtime = Path(path), mtime
        self.result: CueList | CueListError | None = None
        self._done = threading.Event()
        self._cancelled = threading.Event()
        threading.Thread(target=self._run, args=(catalog,), name="essence-show-file",
                         daemon=True).start()

    def done(self) -> bool:
        return self._done.is_set()

    def cancel(self) -> None:
        """Stop: the process is killed, and the result will never be used."""
        self._cancelled.set()

    def _run(self, catalog: Catalog) -> None:
        try:
            self.result = self._load(catalog)
        except Exception as exc:  # a bug in loading must not leave the edit waiting forever
            log.exception("show file %s: loading failed", self.path)
            self.result = CueListError([CueError(self.path, 1, f"loading failed ({exc})")])
        finally:
            self._done.set()

    def _load(self, catalog: Catalog) -> CueList | CueListError:
        import multiprocessing as mp

        spawn = mp.get_context("spawn")
        ours, theirs = spawn.Pipe(duplex=False)
        proc = spawn.Process(target=_load_in_child, name="essence-show-file", daemon=True,
                             args=(self.path, catalog, theirs, os.getpid()))
        proc.start()  # from this thread, which lives until the process has ended
        theirs.close()
        deadline = time.monotonic() + PARSE_TIMEOUT_S
        try:
            return self._receive(ours, deadline)
        except _Cancelled:  # nobody looks at this result
            return CueListError([CueError(self.path, 1, "replaced by a newer edit")])
        except TimeoutError:
            return CueListError([CueError(self.path, 1, "could not be loaded within "
                                          f"{PARSE_TIMEOUT_S:.0f} s")])
        except (EOFError, OSError):
            return CueListError([CueError(self.path, 1, "could not be loaded (the loading "
                                          f"process ended, exit code {proc.exitcode})")])
        finally:
            ours.close()
            if self._cancelled.is_set():
                proc.kill()  # a replaced edit: nothing of it is wanted
            proc.join(1.0)
            if proc.is_alive():
                proc.kill()
                proc.join(1.0)

    def _receive(self, conn: Connection, deadline: float) -> CueList | CueListError:
        def take() -> Any:
            while not conn.poll(min(0.05, max(0.0, deadline - time.monotonic()))):
                if self._cancelled.is_set():
                    raise _Cancelled
                if time.monotonic() >= deadline:
                    raise TimeoutError
            return conn.recv()

        head = take()
        if head[0] == "error":
            return CueListError([CueError(*problem) for problem in head[1]])
        _, fields_, count = head
        cues: list[Any] = []
        with _collector_held():  # the pieces make hundreds of thousands of objects
            while len(cues) < count:
                cues.extend(take())
                time.sleep(0)  # the render thread's turn between two pieces
        return CueList(**fields_, cues=tuple(cues))


def _load_in_child(path: Path, catalog: Catalog, conn: Connection, parent_pid: int) -> None:
    """The show-file process: load and check one file, send it back in pieces."""
    from dataclasses import fields as dataclass_fields

    from performance.audio.palettes import palette_names
    from performance.core.orphans import die_with_parent, leave_stop_signals_to_parent

    die_with_parent(parent_pid, "essence-showfile")
    leave_stop_signals_to_parent()  # not niced: a busy CPU would starve it (for minutes)
    try:
        loaded = load_cue_file(path, catalog, palette_names())
    except CueListError as exc:
        conn.send(("error", [(e.path, e.line, e.reason, e.subject) for e in exc.errors]))
        return
    except Exception as exc:
        conn.send(("error", [(str(path), 1, f"loading failed ({type(exc).__name__}: {exc})",
                              "")]))
        return
    head = {f.name: getattr(loaded, f.name) for f in dataclass_fields(loaded)
            if f.name != "cues"}
    conn.send(("list", head, len(loaded.cues)))
    for start in range(0, len(loaded.cues), CUE_CHUNK):
        conn.send(loaded.cues[start:start + CUE_CHUNK])
    conn.close()


@contextlib.contextmanager
def _collector_held() -> Iterator[None]:
    """Hold the cyclic garbage collector off while a big cue list is built, then freeze
    what exists (`gc.freeze`: never walked again, still freed when unused). A 5 MB show
    file is about a million objects; each collection walking them (up to 0.1 s, several
    while they are made and more after) holds the interpreter lock, stopping the render
    thread too. A cue list holds no reference cycles, so a replaced one is freed by its
    reference count: many edits keep one list frozen, not one per edit
    (tests/integration/test_show_reload.py)."""
    global _held, _held_enabled
    with _held_lock:  # parses may overlap (a newer edit while one is still being built)
        if _held == 0:
            _held_enabled = gc.isenabled()
            gc.disable()
        _held += 1
    try:
        yield
    finally:
        with _held_lock:
            _held -= 1
            if _held == 0 and _held_enabled:
                gc.freeze()
                gc.enable()


_held_lock = threading.Lock()
_held = 0  # cue lists being built now (`_collector_held`)
_held_enabled = False  # whether the collector was on when the first of them began
