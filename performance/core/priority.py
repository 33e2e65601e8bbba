"""CPU priorities: which of the rig's processes and threads give way when the CPU is short,
and where a software renderer may run.

Owns the three rules. The shader trial process yields to the show (`yield_cpu`, NICE). A
software renderer's worker threads (Mesa llvmpipe's `llvmpipe-N`, which shade the frame on
every core) yield to the rest of the rig (`yield_renderer_threads`, `Settings.renderer_nice`,
5 by default; 0 leaves them at the show's priority): on a machine without a GPU the renderer
otherwise takes an equal share of the face model's core, and a detection inside the show
takes x1.6-1.8 its time in a quiet process, x1.2-1.3 with the threads at nice 5
(`bench/bench_live.py --renderer-nice N`). Higher levels yield more to any other busy
process too: at nice 10, under a 10,000 msg/s OSC flood sent from the same 2-core machine,
GOs were shown late or not within 4 s on a slower machine (`bench/bench_osc.py`). A GPU's
driver has no such threads, so nothing changes there.

Where the operator asks for it (`Settings.renderer_cpus = "others"`), a software renderer
is kept off the CPU the perception process is kept on (`renderer_cpus`): the driver is told
to start one worker thread per CPU it may use (`prepare_renderer_threads`, Mesa's
`LP_NUM_THREADS`, before the context exists) and its threads are kept on those CPUs
(`keep_renderer_threads`, after). The face model and the rasterising threads then never
share a core (the render loop's own thread is not kept anywhere): on an earlier, slower
2-core machine (renderer at nice 0) a detection inside the show cost x1.09-1.22 of a quiet
process and the render's p99 was x0.99-1.07 with perception of what it is without, but the
picture was drawn by one core instead of two (10 frames a second instead of 14;
`bench/bench_live.py --renderer-cpus others`), and under an OSC flood from the same machine
GOs show late (`bench/bench_osc.py`). Not the default for that.

Lowering a priority needs no privilege (raising it again would); Linux applies a thread id
given to setpriority(2) to that thread alone.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import MutableMapping
from pathlib import Path

NICE = 10  # the trial process's nice level: it yields the CPU to the show
RENDERER_THREADS = "llvmpipe-"  # the name prefix of Mesa llvmpipe's worker threads
THREADS_ENV = "LP_NUM_THREADS"  # how many worker threads Mesa llvmpipe starts
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


def renderer_cpus(others: bool, perception: frozenset[int] | None,
                  allowed: frozenset[int] | None = None) -> frozenset[int] | None:
    """The CPUs a software renderer may use: None (any) unless `others`, then the CPUs this
    process may use (`allowed`, default its affinity) except `perception`'s; None where
    nothing would be left, or the perception runs anywhere (`perception` None) or somewhere
    this process may not (then it is not kept off anything)."""
    if not others or perception is None:
        return None
    if allowed is None:
        if not hasattr(os, "sched_getaffinity"):
            return None
        allowed = frozenset(os.sched_getaffinity(0))
    if not perception <= allowed:
        return None
    return (allowed - perception) or None


def prepare_renderer_threads(cpus: frozenset[int] | None,
                             env: MutableMapping[str, str] | None = None) -> None:
    """Before the GL context exists: have a software renderer start one worker thread per
    CPU in `cpus` (unless `env`, default this process's environment, already says how many;
    None: leave it). The processes this one starts afterwards inherit the setting."""
    if cpus is not None:
        (os.environ if env is None else env).setdefault(THREADS_ENV, str(len(cpus)))


def keep_renderer_threads(cpus: frozenset[int] | None) -> int:
    """Keep this process's software-renderer threads on `cpus` (None: leave them); call it
    once the GL context exists. Returns how many threads were kept (0 with a GPU)."""
    if cpus is None or not hasattr(os, "sched_setaffinity"):
        return 0
    kept = 0
    for tid, name in thread_names().items():
        if name.startswith(RENDERER_THREADS):
            with contextlib.suppress(OSError):
                os.sched_setaffinity(tid, cpus)
                kept += 1
    return kept
