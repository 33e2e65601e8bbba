"""Shared helpers of the OSC integration tests: liblo's `oscsend` as the sender, `oscdump`
(the `dump` fixture) as the receiver of replies and feedback, free ports and bounded waits.

Test modules import the helpers from here (`from tests.integration.conftest import ...`);
pytest provides the fixtures (`dump`, `liblo_tools`) by name.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import json
import queue
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

LOCAL = "127.0.0.1"


@contextlib.contextmanager
def running_xvfb(*args: str, size: str = "1280x720x24") -> Iterator[str]:
    """A private X server (Xvfb, with `args`) on a free display number; yields e.g. ":97"."""
    if shutil.which("Xvfb") is None:
        pytest.fail("Xvfb is not installed (apt-get install xvfb)")
    number = next(n for n in range(97, 300)
                  if not Path(f"/tmp/.X11-unix/X{n}").exists()
                  and not Path(f"/tmp/.X{n}-lock").exists())
    proc = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", size, "-nolisten", "tcp",
                             *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    socket_path = Path(f"/tmp/.X11-unix/X{number}")
    deadline = time.monotonic() + 10.0
    while not socket_path.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)  # waiting for a server process to come up, not pacing a test
    assert socket_path.exists(), f"Xvfb :{number} did not start"
    try:
        yield f":{number}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@contextlib.contextmanager
def small_tmpfs(folder: Path, size: str) -> Iterator[bool]:
    """A tmpfs of `size` (e.g. "1m") mounted on the existing `folder` for the block, when
    we may mount one (root, as CI is); yields whether it is mounted (else the folder stays
    a plain one and the test limits the writer's file size instead)."""
    import os

    mounted = os.geteuid() == 0 and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
        capture_output=True, check=False).returncode == 0
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", str(folder)], check=False)


@pytest.fixture
def liblo_tools() -> None:
    """The independent OSC peer is required: `make test` installs it (liblo-tools)."""
    if shutil.which("oscsend") is None or shutil.which("oscdump") is None:
        pytest.fail("liblo-tools (oscsend, oscdump) is not installed: apt-get install liblo-tools")


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((LOCAL, 0))
        return int(s.getsockname()[1])


def oscsend(target: str | int, address: str, types: str = "", *values: str) -> None:
    """Send one message with liblo (`target`: a UDP port on 127.0.0.1, or a liblo URL)."""
    where = [LOCAL, str(target)] if isinstance(target, int) else [target]
    subprocess.run(["oscsend", *where, address, *([types] if types else []), *values],
                   check=True, timeout=5, capture_output=True)


def wait_for(predicate: Callable[[], bool], timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


@dataclass
class Dump:
    """oscdump's received messages as (address, types, text of the values)."""

    port: int
    lines: queue.Queue[tuple[str, str, str]] = field(default_factory=queue.Queue)
    seen: list[tuple[str, str, str]] = field(default_factory=list)

    def expect(self, address: str, value: str | None = None,
               timeout: float = 3.0) -> tuple[str, str, str]:
        """The first (new or already seen) message to `address` (with `value`), or fail."""

        def match(item: tuple[str, str, str]) -> bool:
            return item[0] == address and (value is None or item[2] == value)

        for item in self.seen:
            if match(item):
                self.seen.remove(item)
                return item
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                item = self.lines.get(timeout=left)
            except queue.Empty:
                break
            if match(item):
                return item
            self.seen.append(item)
        raise AssertionError(f"oscdump got no {address} in {timeout}s (saw {self.seen})")

    def reply(self, address: str) -> dict[str, object]:
        """The JSON body of the QLab-style reply to `address`."""
        _, types, text = self.expect("/reply" + address)
        assert types == "s"
        body = json.loads(text[1:-1])  # oscdump prints a string in double quotes
        assert isinstance(body, dict)
        return body


@pytest.fixture
def dump(liblo_tools: None) -> Iterator[Dump]:
    """oscdump listening on a free UDP port of 127.0.0.1."""
    port = free_udp_port()
    proc = subprocess.Popen(["oscdump", "-L", str(port)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    result = Dump(port)

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            parts = line.rstrip("\n").split(" ", 3)
            if len(parts) >= 2 and parts[1].startswith("/"):
                result.lines.put((parts[1], parts[2] if len(parts) > 2 else "",
                                  parts[3] if len(parts) > 3 else ""))

    threading.Thread(target=read, daemon=True).start()
    time.sleep(0.2)  # oscdump binds its port
    assert proc.poll() is None, "oscdump did not start"
    yield result
    proc.terminate()
    proc.wait(timeout=5)


class _CursorImage(ctypes.Structure):
    """libXfixes' XFixesCursorImage (Xfixes.h)."""

    _fields_ = [("x", ctypes.c_short), ("y", ctypes.c_short),
                ("width", ctypes.c_ushort), ("height", ctypes.c_ushort),
                ("xhot", ctypes.c_ushort), ("yhot", ctypes.c_ushort),
                ("cursor_serial", ctypes.c_ulong), ("pixels", ctypes.POINTER(ctypes.c_ulong)),
                ("atom", ctypes.c_ulong), ("name", ctypes.c_char_p)]


def cursor_opaque_pixels(display: str) -> int:
    """How many pixels of the X server's current cursor image are not fully transparent
    (XFixesGetCursorImage: what the screen shows at the pointer; 0 = the cursor is hidden)."""
    x11 = ctypes.CDLL(ctypes.util.find_library("X11") or "libX11.so.6")
    xfixes = ctypes.CDLL(ctypes.util.find_library("Xfixes") or "libXfixes.so.3")
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
    x11.XFree.argtypes = [ctypes.c_void_p]
    xfixes.XFixesGetCursorImage.restype = ctypes.POINTER(_CursorImage)
    xfixes.XFixesGetCursorImage.argtypes = [ctypes.c_void_p]
    handle = x11.XOpenDisplay(display.encode())
    assert handle, f"cannot open X display {display}"
    try:
        image = xfixes.XFixesGetCursorImage(handle)
        assert image, "XFixesGetCursorImage failed"
        try:
            cursor = image.contents
            count = cursor.width * cursor.height
            return sum(1 for i in range(count) if (cursor.pixels[i] >> 24) & 0xFF)
        finally:
            x11.XFree(ctypes.cast(image, ctypes.c_void_p))
    finally:
        x11.XCloseDisplay(handle)


def escape_warns_then_quits(xdo: Callable[..., str], proc: subprocess.Popen[str],
                            *change: str) -> str:
    """A calibration tool under Xvfb: keys `change` make an unsaved change, the first Escape
    only warns (the tool keeps running), the second quits; returns its output."""
    xdo("key", *change)
    time.sleep(0.5)
    xdo("key", "Escape")  # warns only
    time.sleep(1.0)
    assert proc.poll() is None, "the first Escape with unsaved changes quit the tool"
    xdo("key", "Escape")
    text, _ = proc.communicate(timeout=20)
    return text


def wait_until(predicate: Callable[[], object], timeout: float) -> bool:
    """Whether `predicate` came true within `timeout` s (polled every 0.1 s: a child
    process's window or output file, not pacing a test)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return bool(predicate())


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    """A headless chromium (tests/browser.py) shared by one module's console tests."""
    from tests import browser

    with browser.console_browser() as chromium:
        yield chromium
