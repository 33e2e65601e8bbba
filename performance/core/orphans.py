"""Children that die with the render process: no sound left playing after a kill.

Owns the one rule every spawned child of the rig (sound, perception, OSC) follows as its
first act: `die_with_parent(parent_pid)`. On Linux it asks the kernel (`prctl`
PR_SET_PDEATHSIG) to SIGKILL the child the moment its parent ends, however the parent ends
(SIGKILL, a crash in native code, `systemctl stop`, a dropped ssh session); a parent that
died before the request is caught by comparing `os.getppid()` with the pid the parent
passed in. Where prctl is missing, `parent_alive` is the portable fallback: each child's
own loop calls it (a cheap `getppid`) and ends when the parent is gone.

Measured before this existed: a SIGKILLed, SIGTERMed or SIGHUPed `essence run` left its
sound child reparented to PID 1 at a whole core (the null ALSA device has no clock), and
the perception child and multiprocessing's resource tracker beside it.

`leave_stop_signals_to_parent` makes a child ignore the signals a terminal sends to the
whole foreground process group (SIGINT on Ctrl-C, SIGHUP on hang-up): the parent handles
them and stops its children in order (the sound fades instead of clicking). SIGTERM keeps
its default in children: multiprocessing terminates leftover children with it at exit (the
kiosk's systemd unit sends SIGTERM to the main process only, KillMode=mixed).
`start_resource_tracker` starts multiprocessing's own helper deaf to that hang-up too (it
ignores SIGINT and SIGTERM by itself, and ends when the last process of the run is gone).

Note: the kernel delivers the death signal when the *thread* that started the child ends,
so a child must be started from a thread that lives as long as the run (the rig starts and
restarts them on the main thread).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys

PR_SET_PDEATHSIG = 1  # linux/prctl.h
PR_SET_NAME = 15
ORPHANED_EXIT = 1  # the exit status of a child that found its parent gone at start


def _prctl(option: int, arg: int | bytes) -> bool:
    """One Linux prctl call; False where there is none or it failed."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return int(libc.prctl(option, arg, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def parent_alive(parent_pid: int) -> bool:
    """Whether the process that started this one still runs (an orphan is re-parented, so
    its parent pid changes): the portable check for a child's loop."""
    return os.getppid() == parent_pid


def die_with_parent(parent_pid: int, name: str | None = None) -> bool:
    """Make this child end with its parent `parent_pid` (call it first thing in the child).

    Linux: the kernel SIGKILLs this process when the parent ends. If the parent is already
    gone (it died before the request took effect), this process exits at once with
    ORPHANED_EXIT. Returns whether the kernel will do it; False: the caller's loop must
    check `parent_alive` (it should anyway, it costs one system call). `name`: what `ps`
    and `top` show for the child (Linux: its first 15 bytes), e.g. "essence-audio"."""
    armed = _prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL))
    if not parent_alive(parent_pid):
        os._exit(ORPHANED_EXIT)
    if name:
        _prctl(PR_SET_NAME, name.encode()[:15])
    return armed


def leave_stop_signals_to_parent() -> None:
    """Ignore Ctrl-C and hang-up in this child: the terminal sends them to the whole
    process group, and the parent, which handles them, stops its children in order."""
    for name in ("SIGINT", "SIGHUP"):  # SIGHUP is POSIX only
        if (signum := getattr(signal, name, None)) is not None:
            signal.signal(signum, signal.SIG_IGN)


def start_resource_tracker() -> None:
    """Start multiprocessing's resource tracker now (if it is not running yet) with SIGHUP
    blocked, so that a hang-up sent to the process group does not kill it under a run that
    stops cleanly (multiprocessing would relaunch it with warnings at the end). It still
    ends by itself once every process holding its pipe (the run and its children) is gone."""
    from multiprocessing import resource_tracker

    hangup = getattr(signal, "SIGHUP", None)
    if hangup is None or not hasattr(signal, "pthread_sigmask"):
        resource_tracker.ensure_running()
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {hangup})
    try:
        resource_tracker.ensure_running()  # the mask is inherited across fork and exec
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
