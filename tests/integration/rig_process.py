"""`essence run` in a subprocess for the fault-injection tests: its children found in /proc,
its status asked over OSC (`/essence/state`), bounded waits, and nothing left behind.

Children are told apart by the names they give themselves (core.orphans): essence-audio,
essence-osc, essence-percept; multiprocessing's resource tracker by its command line.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from performance.control.wire import WireError, build_message, parse_packet
from tests.integration.conftest import LOCAL, free_udp_port

ROOT = Path(__file__).resolve().parents[2]
ALSA_NULL = ROOT / "tests" / "data" / "alsa-null.conf"
TRACKER = "resource_tracker"


def _stat(pid: int) -> tuple[str, int] | None:
    """(state letter, parent pid) of a process, None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    return fields[0], int(fields[1])


def alive(pid: int) -> bool:
    """Running (a zombie waiting for a reaper counts as gone: it holds nothing)."""
    stat = _stat(pid)
    return stat is not None and stat[0] not in ("Z", "X")


def name_of(pid: int) -> str:
    """The process's own name, or `resource_tracker` for multiprocessing's helper."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        comm = Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""
    return TRACKER if TRACKER in cmdline else comm


def descendants(pid: int) -> dict[int, str]:
    """Every living process below `pid` (children, theirs, ...) -> its name."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := _stat(int(entry))) is not None and alive(int(entry)):
            parents[int(entry)] = stat[1]
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return {child: name_of(child) for child in found}


def wait_until(predicate: Callable[[], bool], timeout: float,
               step: float = 0.02) -> float | None:
    """Seconds until `predicate()` held (checked every `step`), None if it never did."""
    start = time.monotonic()
    while True:
        if predicate():
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            return None
        time.sleep(step)


class Rig:
    """One `essence run --headless` in its own session (so a test can signal its group)."""

    def __init__(self, args: Sequence[str], *, osc_port: int | None = None) -> None:
        self.osc_port = osc_port if osc_port is not None else free_udp_port()
        env = dict(os.environ, ALSA_CONFIG_PATH=str(ALSA_NULL),
                   ESSENCE_OSC_REPLY_PORT="0",  # replies to the asking socket's own port
                   PYTHONUNBUFFERED="1")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "performance", "run", "--headless", "--size", "96x54",
             "--fps", "30", "--osc-port", str(self.osc_port), *args],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            start_new_session=True)
        self.pid = self.proc.pid
        self.seen: dict[int, str] = {}  # every descendant ever seen (for the clean-up)
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind((LOCAL, 0))
        self._sock.settimeout(0.2)
        self.stdout = self.stderr = ""

    def children(self) -> dict[int, str]:
        """The living descendants now, by name."""
        now = descendants(self.pid)
        self.seen.update(now)
        return now

    def pid_of(self, name: str) -> int | None:
        return next((pid for pid, n in self.children().items() if n == name), None)

    def state(self) -> dict[str, object] | None:
        """The status the render loop last published (`/essence/state`), {} before its
        first frame, None when no reply came."""
        with contextlib.suppress(OSError):
            while True:  # drop late replies to earlier questions
                self._sock.setblocking(False)
                self._sock.recv(65536)
        self._sock.settimeout(0.2)
        try:
            self._sock.sendto(build_message("/essence/state"), (LOCAL, self.osc_port))
            data = self._sock.recv(65536)
            body = json.loads(str(parse_packet(data)[0].args[0]))
        except (OSError, WireError, ValueError, IndexError):
            return None
        found = body.get("data") if isinstance(body, dict) else None
        return found if isinstance(found, dict) else None

    def wait_rendering(self, timeout: float = 60.0) -> None:
        """Until the loop has rendered frames (it publishes a status with a frame rate)."""
        def rendering() -> bool:
            assert self.proc.poll() is None, self.finish()
            got = self.state()
            return bool(got) and float(str(got.get("fps", 0.0))) > 0.0

        assert wait_until(rendering, timeout, step=0.1) is not None, "the run never rendered"

    def wait_exit(self, timeout: float) -> float | None:
        """Seconds until the run exited (None: still running after `timeout`)."""
        return wait_until(lambda: self.proc.poll() is not None, timeout, step=0.01)

    def finish(self) -> str:
        """Collect the output (after the process ended, or killing it); returns stderr."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)
        self.stdout, self.stderr = self.proc.communicate(timeout=30)
        return self.stderr

    def close(self) -> None:
        """Nothing of the run left, whatever the test did."""
        self._sock.close()
        self.finish()
        for pid in self.seen:
            if alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def essence_run(args: Sequence[str]) -> Iterator[Rig]:
    rig = Rig(args)
    try:
        yield rig
    finally:
        rig.close()
