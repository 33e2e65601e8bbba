"""One kiosk per state folder: a second start (the systemd unit and an autostart entry both
installed, a technician typing `essence kiosk` over ssh) says who runs and leaves."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator

from performance.core.errors import EssenceError
from performance.core.files import reason
from performance.kiosk.state import StatePaths


@contextlib.contextmanager
def single_instance(paths: StatePaths) -> Iterator[None]:
    """Hold the state folder's lock inside; EssenceError naming the running pid otherwise.
    The kernel drops the lock when the process dies, however it dies. A state folder that
    cannot be made or written (read-only, a file in its place) is one EssenceError naming
    it, before any window (ESSENCE_STATE_DIR chooses another)."""
    lock = paths.folder / "kiosk.lock"
    try:
        paths.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise EssenceError(f"{paths.folder}: the kiosk's state folder cannot be used "
                           f"({reason(exc)}); set ESSENCE_STATE_DIR to a writable folder"
                           ) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            other = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            raise EssenceError(f"a kiosk already runs on {paths.folder} (pid {other}); "
                               "`essence status` shows it") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)
