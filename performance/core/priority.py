"""CPU priorities: which of the rig's processes and threads give way when the CPU is short.

Owns the two rules. The shader trial process yields to the show (`yield_cpu`, NICE). And,
where the operator asks for it (`Settings.renderer_nice`, 0 by default), a software
renderer's worker threads (Mesa llvmpipe's `llvmpipe-N`, which shade the frame on every
core) yield to everything else (`yield_renderer_threads`): on a machine without a GPU the
renderer otherwise takes an equal share of the face model's core, and a detection inside the
show takes ×1.6-1.7 its time in a quiet process, ×1.0-1.2 with the threads at nice 10
(`bench/bench_live.py`). It is not the default because the renderer then also yields to any
other busy process: under a 10,000 msg/s OSC flood sent from the same 2-core machine, GOs
were shown late or not within 4 s (`bench/bench_osc.py`), where at nice 0 all were on time.
A GPU's driver has no such threads, so nothing changes there.

Lowering a priority needs no privilege (raising it again would); Linux applies a thread id
given to setpriority(2) to that thread alone.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

NICE = 10  # the trial process's nice level: it yields the CPU to the show
RENDERER_THREADS = "llvmpipe-"  # the name prefix of Mesa llvmpipe's worker threads
TASKS = Path("/proc/self/task")


def yield_cpu(pid: int, nice: int = NICE) -> None:
    """Lower process (or thread) `pid`'s priority to at least `nice` (pid 0: this one).
    Never raises: where priorities are unknown nothing changes."""
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, pid, max(nice, os.getpriority(os.PRIO_PROCESS, pid)))


def thread_names() -> dict[int, str]:
    """This process's threads: id -> name (empty where /proc is not there)."""
    names: dict[int, str] = {}
    with contextlib.suppress(OSError):
        for task in TASKS.iterdir():
            with contextlib.suppress(OSError, ValueError):
                names[int(task.name)] = (task / "comm").read_text().strip()
    return names


def yield_renderer_threads(nice: int) -> int:
    """Lower this process's software-renderer threads to `nice` (0 or less: leave them);
    call it once the GL context exists (the driver starts them with the context). Returns
    how many threads were lowered (0 with a GPU: its driver has none)."""
    if nice <= 0:
        return 0
    lowered = 0
    for tid, name in thread_names().items():
        if name.startswith(RENDERER_THREADS):
            yield_cpu(tid, nice)
            lowered += 1
    return lowered
