"""`essence soak`: the kiosk run for a long time with traffic and faults, measured.

A headless kiosk (a real clip looping as the camera, the real face model, sound on its
device, OSC on) in this process, plus three daemon threads: a sampler that every `every`
seconds reads this process's and its children's memory, open files and threads from /proc
and the kiosk's own health report (frames, frame-time p99, restarts); an OSC client
sending the traffic a control surface makes (faders, /thump, GO now and then); and a fault
injector that SIGKILLs one of the rig's children (sound, perception, OSC input) in turn on a
schedule. At the end: the samples, and the memory slope in MB/hour after the warm-up.
"""

from __future__ import annotations

import json
import os
import random
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from performance.kiosk.health import memory_mb

CHILD_NAMES = ("essence-audio", "essence-percept", "essence-osc")  # what the children call
# themselves (core/orphans.py names them)
WARM_UP_SHARE = 0.25  # of the run, left out of the slope


@dataclass(frozen=True)
class Sample:
    """One look at the run."""

    t_s: float
    rss_mb: float  # this process
    children_mb: float  # the rig's children together
    fds: int
    threads: int
    frames: int
    frame_p99_ms: float
    restarts: int
    faults: int


def children(pid: int | None = None) -> dict[int, str]:
    """Child pid -> its name, from /proc (the process's direct children)."""
    me = os.getpid() if pid is None else pid
    found: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        if int(stat[stat.rindex(")") + 2:].split()[1]) == me:
            found[int(entry.name)] = name
    return found


def sample(started: float, health: Path, faults: int) -> Sample:
    """This process and its children now, with the health report's figures."""
    try:
        report = json.loads(health.read_text())
    except (OSError, ValueError):
        report = {}
    restarts = report.get("restarts", {})
    return Sample(
        t_s=round(time.monotonic() - started, 1), rss_mb=round(memory_mb(), 1),
        children_mb=round(sum(memory_mb(p) for p in children()), 1),
        fds=len(os.listdir("/proc/self/fd")), threads=threading.active_count(),
        frames=int(report.get("frames", 0)), frame_p99_ms=float(report.get("frame_p99_ms", 0)),
        restarts=sum(v for k, v in restarts.items() if k != "crashes_recent"), faults=faults)


def slope_mb_per_hour(samples: list[Sample], field: str = "rss_mb") -> float:
    """Least-squares slope of `field` over time after the warm-up, MB per hour."""
    kept = samples[int(len(samples) * WARM_UP_SHARE):]
    if len(kept) < 3:
        return 0.0
    xs = [s.t_s / 3600.0 for s in kept]
    ys = [float(getattr(s, field)) for s in kept]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    var = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var if var else 0.0


class Soak:
    """The three threads around a kiosk run (see the module docstring)."""

    def __init__(self, *, health: Path, osc_port: int, every: float, fault_every: float,
                 report: Callable[[Sample], None] = lambda s: None) -> None:
        self.health, self.osc_port, self.every = health, osc_port, every
        self.fault_every, self.report = fault_every, report
        self.samples: list[Sample] = []
        self.faults = 0
        self.recovered = 0  # killed children the rig replaced
        self.sent = 0
        self._stop = threading.Event()
        self._started = time.monotonic()
        self._threads = [threading.Thread(target=fn, name=f"soak-{fn.__name__}", daemon=True)
                         for fn in (self._sampler, self._traffic, self._faults)]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(5.0)

    def _sampler(self) -> None:
        while not self._stop.wait(self.every):
            s = sample(self._started, self.health, self.faults)
            self.samples.append(s)
            self.report(s)

    def _traffic(self) -> None:
        """About 60 messages a second: two faders, /thump, a GO every 20 s."""
        from pythonosc.udp_client import SimpleUDPClient

        client = SimpleUDPClient("127.0.0.1", self.osc_port)
        rng = random.Random(1)
        n = 0
        while not self._stop.wait(1 / 60):
            n += 1
            if n % 1200 == 0:
                client.send_message("/go", [])
            elif n % 30 == 0:
                client.send_message("/thump", [])
            else:
                client.send_message("/essence/param/intensity", [rng.uniform(0.2, 1.2)])
            self.sent += 1

    def _faults(self) -> None:
        """SIGKILL the children in turn, one every `fault_every` seconds."""
        turn = 0
        while self.fault_every > 0 and not self._stop.wait(self.fault_every):
            name = CHILD_NAMES[turn % len(CHILD_NAMES)]
            turn += 1
            victim = next((pid for pid, child in children().items()
                           if child.startswith(name[:15])), None)
            if victim is None:
                continue
            try:
                os.kill(victim, signal.SIGKILL)
            except OSError:
                continue
            self.faults += 1
            deadline = time.monotonic() + 60.0  # the rig replaces it with back-off
            while not self._stop.wait(0.5) and time.monotonic() < deadline:
                if any(child.startswith(name[:15]) and pid != victim
                       for pid, child in children().items()):
                    self.recovered += 1
                    break


def soak_table(samples: list[Sample]) -> str:
    """The samples as a fixed-width table."""
    head = f"{'t s':>7} {'rss MB':>7} {'kids MB':>8} {'fds':>4} {'thr':>4} {'frames':>7} " \
           f"{'p99 ms':>7} {'restarts':>8} {'faults':>6}"
    rows = [f"{s.t_s:7.0f} {s.rss_mb:7.1f} {s.children_mb:8.1f} {s.fds:4d} {s.threads:4d} "
            f"{s.frames:7d} {s.frame_p99_ms:7.1f} {s.restarts:8d} {s.faults:6d}"
            for s in samples]
    return "\n".join([head, *rows])


def write_samples(path: Path, samples: list[Sample], summary: dict[str, float]) -> None:
    """One JSON line per sample, then the summary line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(asdict(s)) for s in samples] + [json.dumps({"summary": summary})]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
