"""Reading and saving files safely.

Saving never leaves a half-written file: write beside the target, flush it to the disk, then
rename. The temp files carry the writer's process id (`.NAME.PID.partial.EXT` for streamed
writes, `.NAME.PID.XXXXXXXX.tmp` for `write_atomic`), so a writer killed with SIGKILL leaves
a name the next writer of the same target recognises: `remove_stale_temps` deletes those whose
process is gone. A write that fails (a full disk, a read-only folder) raises `OutputError`
(an `EssenceError` and an `OSError`) naming the target.

Reading (`read_regular`) accepts only a regular file of bounded size, checked on the opened
file (no race between the check and the read) and opened without blocking: a FIFO, a device
such as /dev/zero or a huge file is refused at once, never read for ever. `parse_toml` turns
a document nested too deeply for the parser (a RecursionError) into a TOMLDecodeError.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import tempfile
import tomllib
from pathlib import Path
from typing import Any

from performance.core.errors import InputError, OutputError

TOML_LIMIT = 16 << 20
"""The largest settings, show or calibration file read (bytes); the real ones are ~10 kB."""


# -- reading ----------------------------------------------------------------------------------


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a plain file"


def read_regular(path: Path, *, limit: int) -> bytes:
    """The bytes of the regular file `path` (at most `limit` of them). OSError otherwise,
    its strerror saying why: missing, unreadable, a folder, a FIFO, a device (/dev/zero), or
    larger than `limit`. Never blocks on a FIFO and never reads past `limit`."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, f"is {_kind(st.st_mode)}, not a regular file")
        if st.st_size > limit:
            raise OSError(errno.EFBIG, f"is {st.st_size} bytes, more than the {limit} allowed")
        chunks: list[bytes] = []
        total = 0
        while block := os.read(fd, min(1 << 20, limit + 1 - total)):
            chunks.append(block)
            total += len(block)
            if total > limit:  # it grew while being read
                raise OSError(errno.EFBIG, f"is more than the {limit} bytes allowed")
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_text(path: Path, *, limit: int = TOML_LIMIT) -> str:
    """`read_regular` decoded as UTF-8 (UnicodeDecodeError when it is not)."""
    return read_regular(path, limit=limit).decode("utf-8")


def parse_toml(text: str) -> dict[str, Any]:
    """`tomllib.loads`, with a document nested too deeply to parse (100,000 brackets) raised
    as a TOMLDecodeError like any other syntax error."""
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise tomllib.TOMLDecodeError("arrays or tables nested too deeply") from None


def reason(exc: BaseException) -> str:
    """One line saying why a read or write failed (an OSError's strerror, else the text)."""
    text = (exc.strerror if isinstance(exc, OSError) and exc.strerror else None) or str(exc)
    return text.splitlines()[0] if text else type(exc).__name__


# -- temp files ------------------------------------------------------------------------------


def temp_path_for(path: Path) -> Path:
    """The hidden temp file beside `path` that a streamed write goes to before the rename."""
    return path.with_name(f".{path.name}.{os.getpid()}.partial{path.suffix}")


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return pid > 0  # someone else's process (or a number no process can have)
    try:  # a killed process its parent has not reaped yet is a zombie: gone all the same
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return fields[0] != "Z"
    except (OSError, IndexError):
        return True


def remove_stale_temps(path: Path) -> list[Path]:
    """Remove the temp files a killed writer of `path` left beside it (see the module: its
    pid in the name, that process gone; also the pid-less `.NAME.partial` of older
    versions). Returns what was removed; best effort, never raises."""
    pattern = re.compile(rf"\.{re.escape(path.name)}\.(?:(\d+)\.(?:partial.*|[^.]+\.tmp)|partial)")
    removed: list[Path] = []
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return removed
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if match is None:
            continue
        if match.group(1) is not None and _pid_alive(int(match.group(1))):
            continue
        with contextlib.suppress(OSError):
            if entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
    return removed


def check_writable(path: Path, *, option: str = "--out", example: str = "show.mp4") -> None:
    """Fail now (InputError naming `path`) if a file cannot be created at `path` (a folder
    is refused with `example` as the kind of name to give).

    Creates missing parent folders; tries a temp file beside the target and removes it
    (and removes the temp files a killed writer of `path` left, `remove_stale_temps`).
    """
    if path.is_dir():
        raise InputError(path, f"{option} is a folder; give a file name such as {example}")
    try:
        st: os.stat_result | None = path.stat()
    except OSError:
        st = None
    if st is not None and not stat.S_ISREG(st.st_mode):  # never rename over /dev/full
        raise InputError(path, f"{option} is {_kind(st.st_mode)}, not a regular file; "
                               "nothing was written")
    if st is not None and (not st.st_mode & 0o222 or not os.access(path, os.W_OK)):
        raise InputError(path, f"{option} is read-only (make it writable to replace it); "
                               "nothing was written")
    for folder in path.parents:
        if folder.exists():
            if not folder.is_dir():
                raise InputError(path, f"{option}: cannot write here ({folder} is a file, "
                                       "not a folder)")
            break
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(path, f"{option}: cannot create its folder ({reason(exc)})") from exc
    remove_stale_temps(path)
    probe = temp_path_for(path)
    try:
        with probe.open("wb"):
            pass
    except OSError as exc:
        raise InputError(path, f"{option}: cannot write here ({reason(exc)})") from exc
    probe.unlink(missing_ok=True)


def kept_note(path: Path) -> str:
    """What a failed write of `path` leaves: the old file, or nothing."""
    return "the old file is left as it was" if path.exists() else "nothing was written"


# -- saving ----------------------------------------------------------------------------------


def write_temp(path: Path, data: str | bytes) -> Path:
    """Write `data` to a new temp file beside `path`, fsynced; returns it (for `commit`). On
    failure nothing is left and OutputError names `path`. Missing folders are created."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temps(path)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp",
                                   dir=path.parent)
    except OSError as exc:
        raise OutputError(path, exc, kept=kept_note(path)) from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp makes the file private (0600): keep the old file's mode, else a plain 0644
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o644)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError) and not isinstance(exc, OutputError):
            raise OutputError(path, exc, kept=kept_note(path)) from exc
        raise
    return Path(tmp)


def commit(tmp: Path, path: Path) -> None:
    """Rename a finished temp file over `path` and make the rename durable; on failure the
    temp file goes and OutputError names `path` (the old file is then untouched). A device,
    FIFO, socket or folder at `path` is never replaced (a calibration saved to `--out
    /dev/null` as root would have replaced the device with a file)."""
    try:
        st = os.lstat(path)
    except OSError:
        st = None
    if st is not None and not (stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode)):
        tmp.unlink(missing_ok=True)
        raise OutputError(path, f"is {_kind(st.st_mode)}, not a regular file")
    try:
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(path, exc, kept=kept_note(path)) from exc
    sync_folder(path.parent)


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write `data` to `path` as a whole or not at all (a failure leaves no temp file and the
    old file, if any, untouched; it raises OutputError, an OSError, naming `path`). The data
    is fsynced before the rename and the folder after it, so a power cut leaves either the
    old file or the new one. Missing folders are created."""
    commit(write_temp(path, data), path)


def sync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable (best effort: some file systems refuse)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
