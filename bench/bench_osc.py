"""OSC control while the heaviest visual renders: `control = "thread"` vs `"process"`.

The bench process runs the rig itself (`start_services` + `run_live`, headless EGL, no
threads of its own); everything that measures runs in other processes, so it never waits
for the rig's interpreter lock:

- `/thump` round trip, p50 and p95, while essence_module renders at 1280x720, against a
  bare Python UDP echo server in its own process, pinged by the same client in turn (the
  "bare" column).
- OSC GO -> the first frame showing the cue, and -> the reply that says the show applied
  it, idle, through a 10,000 messages/s flood of parameter values from another process
  (30 s by default, `--flood-seconds`) and right after it stops; each GO counted on time
  (shown within 100 ms of the end of the frame it landed in), refused as stale, late or
  lost (cues/neo_lumen.toml; the client moves the playhead to cue 3 or 3.5 over TCP, waits
  until the rig says so, waits a random part of a second more, so that GOs land anywhere in
  a frame, then sends `/go` over UDP). The
  frame's time is taken after `ctx.finish()` in the run's inspect hook, on the monotonic
  clock both processes share; the crossfades between the two cues keep two essence_module
  layers rendering. "bare" is, for the same GOs and the same frames, what a control path
  adding no delay would give: the end of the first frame that started after the GO. A
  ratio of 1 is all frame pacing. GOs not shown within 4 s are counted as lost.

Prints a markdown table, then one JSON line per figure.
Usage: .venv/bin/python bench/bench_osc.py [--gos N] [--thump-seconds S] [--size WxH]
       [--only thump|go] [--flood-seconds S] [--renderer-nice N] [--renderer-cpus any|others]
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from report import percentile  # noqa: E402  (bench/report.py, beside this script)

LOCAL = "127.0.0.1"
CUES = ROOT / "cues" / "neo_lumen.toml"
TARGETS = ("3", "3.5")  # essence_module cues the GOs alternate between
FLOOD_RATE = 10_000
GO_TIMEOUT_S = 4.0
ON_TIME_S = 0.1  # a GO shows within this of the end of the frame it landed in, or is late
T = TypeVar("T")


@dataclass(frozen=True)
class Row:
    """One figure: the rig's milliseconds against the bare reference's."""

    figure: str
    rig_ms: float
    bare_ms: float
    n: int  # samples
    lost: int | None = None  # GOs never shown (GO figures only)
    note: str = ""

    @property
    def ratio(self) -> float | None:
        return self.rig_ms / self.bare_ms if self.n and self.bare_ms > 0 else None

    def cells(self) -> str:
        """The table row."""
        lost = "" if self.lost is None else str(self.lost)
        if not self.n:
            return f"| {self.figure} | – | – | – | 0 | {lost} | {self.note} |"
        return (f"| {self.figure} | {self.rig_ms:.2f} | {self.bare_ms:.2f} | "
                f"×{self.ratio:.2f} | {self.n} | {lost} | {self.note} |")

    def json_line(self, renderer: str) -> str:
        """The figure as one JSON line (null where nothing was measured)."""
        ratio = self.ratio
        line: dict[str, object] = {
            "figure": self.figure, "rig_ms": round(self.rig_ms, 3) if self.n else None,
            "bare_ms": round(self.bare_ms, 3) if self.n else None,
            "ratio": None if ratio is None else round(ratio, 3), "n": self.n}
        if self.lost is not None:
            line["lost"] = self.lost
        if self.note:
            line["note"] = self.note
        return json.dumps({**line, "renderer": renderer})


def free_port(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind((LOCAL, 0))
        return int(s.getsockname()[1])


# --- the processes that measure --------------------------------------------------------

def echo_server() -> None:
    """The bare reference: a Python UDP echo loop, alone in its process."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((LOCAL, 0))
        print(s.getsockname()[1], flush=True)
        while True:
            data, addr = s.recvfrom(65535)
            s.sendto(data, addr)


def thump_client(rig_port: int, bare_port: int, seconds: float) -> None:
    """`/thump` to the rig and the same bytes to the echo server, in turn; ms as JSON."""
    from performance.control.wire import build_message

    packet = build_message("/thump")
    out: dict[str, list[float]] = {"rig": [], "bare": []}
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((LOCAL, 0))
        s.settimeout(10.0)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            for name, port in (("rig", rig_port), ("bare", bare_port)):
                t0 = time.perf_counter()
                s.sendto(packet, (LOCAL, port))
                s.recvfrom(4096)
                out[name].append(1000.0 * (time.perf_counter() - t0))
                time.sleep(0.01)
    print(json.dumps(out), flush=True)


def flood(port: int, rate: int) -> None:
    """Parameter values at `rate` messages a second from one socket until killed."""
    from performance.control.wire import build_message

    packets = [build_message("/essence/param/intensity", [(i % 200) / 100]) for i in range(200)]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        start, sent = time.monotonic(), 0
        while True:
            for _ in range(rate // 100):
                s.sendto(packets[sent % 200], (LOCAL, port))
                sent += 1
            delay = start + sent / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)


class TcpState:
    """A SLIP TCP session with the rig: commands, and `/essence/state` as a dict."""

    def __init__(self, port: int) -> None:
        from performance.control.wire import StreamDecoder

        self.sock = socket.create_connection((LOCAL, port), timeout=20.0)
        self.decoder = StreamDecoder(1 << 16)

    def send(self, address: str) -> None:
        from performance.control.wire import build_message, slip_encode

        self.sock.sendall(slip_encode(build_message(address)))

    def state(self) -> dict[str, object]:
        from performance.control.wire import parse_packet

        self.send("/essence/state")
        while True:
            for packet in self.decoder.feed(self.sock.recv(65536)):
                for message in parse_packet(packet):
                    if message.address == "/reply/essence/state":
                        data = json.loads(str(message.args[0])).get("data") or {}
                        return dict(data)

    def wait(self, key: str, value: str, timeout: float) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.state().get(key) == value:
                return True
            time.sleep(0.02)
        return False


def go_reply(udp: socket.socket, timeout: float) -> tuple[float | None, str, str]:
    """The rig's `/reply/go` (sent once the show applied or refused the GO): when it came,
    its status and reason."""
    from performance.control.wire import parse_packet

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            packet = udp.recv(65536)
        except BlockingIOError:
            time.sleep(0.001)
            continue
        for message in parse_packet(packet):
            if message.address == "/reply/go":
                body = json.loads(str(message.args[0]))
                return time.monotonic(), str(body.get("status")), str(body.get("data") or "")
    return None, "none", ""


def go_client(udp_port: int, tcp_port: int, gos: int, flood_seconds: float) -> None:
    """GOs idle, then through a flood of `flood_seconds` (started here, in its own
    process), then right after it stops: the send times and the replies."""
    from performance.control.wire import build_message

    tcp = TcpState(tcp_port)
    sends: list[dict[str, object]] = []
    targets = itertools.cycle(TARGETS)  # alternating: each GO changes the cue shown
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.bind((LOCAL, 0))
        udp.setblocking(False)
        for phase, count in (("warmup", 1), ("idle", gos), ("flood", gos), ("after", gos)):
            flooder = None
            if phase == "flood":
                flooder = subprocess.Popen([sys.executable, __file__, "--flood", str(udp_port)])
                time.sleep(1.0)
            ends = time.monotonic() + flood_seconds if phase == "flood" else 0.0
            done = 0
            while done < count or time.monotonic() < ends:
                done += 1
                target = next(targets)
                tcp.send(f"/playhead/{target}")
                if not tcp.wait("next_cue_id", target, 15.0):
                    sends.append({"phase": phase, "target": target, "sent": None})
                    continue
                if phase != "after" or done > 1:  # the first GO after: the instant it stops
                    time.sleep(random.uniform(0.0, 1.2))  # anywhere in a frame
                sent = time.monotonic()
                udp.sendto(build_message("/go"), (LOCAL, udp_port))
                replied, status, reason = go_reply(udp, GO_TIMEOUT_S)
                sends.append({"phase": phase, "target": target, "sent": sent,
                              "replied": replied, "status": status, "reason": reason})
                tcp.wait("cue_id", target, GO_TIMEOUT_S)
                time.sleep(0.3)
            if flooder is not None:
                flooder.kill()
                flooder.wait()
    print(json.dumps(sends), flush=True)


# --- the rig ---------------------------------------------------------------------------

def _given(options: object, name: str, default: T) -> T:
    """The option `name` when the command line gave it (0 too), else `default`."""
    value = getattr(options, name, None)
    return default if value is None else value


def run_rig(control: str, *, cues: bool, client: list[str], size: tuple[int, int],
            udp_port: int, tcp_port: int, options: argparse.Namespace | None = None
            ) -> tuple[list[tuple[float, str | None]], str, str]:
    """One headless run until the client ends: (frame time and cue id)s, the client's
    output, the renderer. `options`: the --renderer-nice and --renderer-cpus options
    (None each: the setting's default)."""
    from performance.config import DEFAULTS, Settings
    from performance.core.clock import MonotonicClock
    from performance.runtime.assemble import build_show, shader_catalog
    from performance.runtime.live import LiveOptions, run_live
    from performance.runtime.services import start_services

    settings = Settings(sound=False, osc_host=LOCAL, osc_port=udp_port, osc_tcp_port=tcp_port,
                        osc_reply_port=0, control=control, cues=str(CUES) if cues else "",
                        renderer_nice=_given(options, "renderer_nice", DEFAULTS.renderer_nice),
                        renderer_cpus=_given(options, "renderer_cpus", DEFAULTS.renderer_cpus))
    show = build_show(settings, visual=None if cues else "essence_module",
                      visuals=shader_catalog())
    clock = MonotonicClock()
    services = start_services(show, settings, clock=clock, sound=False)
    frames: list[tuple[float, str | None]] = []
    procs: list[subprocess.Popen[str]] = []
    renderer = [""]

    def inspect(frame: int, compositor: object) -> None:
        ctx = compositor.ctx  # type: ignore[attr-defined]
        ctx.finish()  # the frame is done: its pixels show the cue
        seq = services.sequencer
        frames.append((time.monotonic(), seq.status().cue_id if seq is not None else None))
        if not procs:  # the first frame is drawn (shaders compiled): measure from now
            renderer[0] = str(ctx.info["GL_RENDERER"])
            procs.append(subprocess.Popen([sys.executable, __file__, *client],
                                          stdout=subprocess.PIPE, text=True))

    def events() -> list[str]:
        return ["quit"] if procs and procs[0].poll() is not None else []

    try:
        run_live(LiveOptions(headless=True, size=size, seconds=600.0), settings, show=show,
                 commands=services.commands, clock=clock, publish=services.publish,
                 inspect=inspect, events=events, report=lambda _: None,
                 watch_input=services.watch_input)
    finally:
        services.close()
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    out, _ = procs[0].communicate(timeout=30) if procs else ("", "")
    return frames, out.strip().splitlines()[-1] if out.strip() else "", renderer[0]


def frame_ms(frames: list[tuple[float, str | None]], after: float = 0.0) -> float:
    """The median frame time (ms) of the frames that ended after `after`."""
    return 1000.0 * percentile([b[0] - a[0] for a, b in itertools.pairwise(frames)
                                if b[0] > after], 50)


@dataclass
class GoTally:
    """What became of one phase's GOs: shown on time (within ON_TIME_S of the end of the
    first frame that started after it), refused as stale (and not shown), late, or lost;
    the ms from send to the first frame showing the cue, to that ideal frame, and to the
    reply that says it was applied."""

    shown: list[float]
    ideal: list[float]
    applied: list[float]
    on_time: int = 0
    stale: int = 0
    late: int = 0
    lost: int = 0

    def note(self) -> str:
        return (f"{self.on_time} on time, {self.stale} refused stale, {self.late} late, "
                f"{self.lost} lost")


def go_latencies(frames: list[tuple[float, str | None]], sends: list[dict[str, object]],
                 phase: str) -> GoTally:
    """Each GO of `phase` against the frames: see `GoTally`."""
    tally = GoTally([], [], [])
    for send in (s for s in sends if s["phase"] == phase):
        sent, target = send["sent"], send["target"]
        if not isinstance(sent, float):
            tally.lost += 1
            continue
        shown = next((t for t, cue in frames if t > sent and cue == target), None)
        ideal = next((b[0] for a, b in itertools.pairwise(frames) if a[0] >= sent), None)
        if send.get("reason") == "stale" and (shown is None or shown - sent > GO_TIMEOUT_S):
            tally.stale += 1
            continue
        if shown is None or shown - sent > GO_TIMEOUT_S or ideal is None or shown < ideal:
            tally.lost += 1  # never shown, or shown by an earlier GO that came late
            continue
        if shown - ideal > ON_TIME_S:
            tally.late += 1
        else:
            tally.on_time += 1
        tally.shown.append(1000.0 * (shown - sent))
        tally.ideal.append(1000.0 * (ideal - sent))
        replied = send.get("replied")
        if isinstance(replied, float):
            tally.applied.append(1000.0 * (replied - sent))
    return tally


def main(argv: list[str] | None = None) -> int:
    from performance.config import RendererCpus

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gos", type=int, default=6, help="GOs per phase (idle, flood)")
    parser.add_argument("--thump-seconds", type=float, default=8.0)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--only", choices=["thump", "go"], help="one kind of figure")
    parser.add_argument("--renderer-nice", type=int,
                        help="the rig's renderer_nice setting (default: the setting's own)")
    parser.add_argument("--renderer-cpus", choices=[c.value for c in RendererCpus],
                        help="the rig's renderer_cpus setting (default: the setting's own)")
    parser.add_argument("--echo", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--thump-client", nargs=3, type=float, help=argparse.SUPPRESS)
    parser.add_argument("--flood-seconds", type=float, default=30.0,
                        help="how long the flood lasts (GOs are sent through it)")
    parser.add_argument("--go-client", nargs=4, type=float, help=argparse.SUPPRESS)
    parser.add_argument("--flood", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.echo:
        echo_server()
    if args.thump_client:
        rig, bare, seconds = args.thump_client
        thump_client(int(rig), int(bare), seconds)
        return 0
    if args.go_client:
        udp_port, tcp_port, gos, flood_seconds = args.go_client
        go_client(int(udp_port), int(tcp_port), int(gos), flood_seconds)
        return 0
    if args.flood:
        flood(args.flood, FLOOD_RATE)
    width, height = (int(v) for v in args.size.lower().split("x"))
    size = (width, height)
    echo = subprocess.Popen([sys.executable, __file__, "--echo"], stdout=subprocess.PIPE,
                            text=True)
    assert echo.stdout is not None
    bare_port = int(echo.stdout.readline())
    rows: list[Row] = []
    renderer = ""
    try:
        for control in ("thread", "process") if args.only != "go" else ():
            udp, tcp = free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_STREAM)
            frames, out, renderer = run_rig(
                control, cues=False, size=size, udp_port=udp, tcp_port=tcp,
                options=args,
                client=["--thump-client", str(udp), str(bare_port), str(args.thump_seconds)])
            got = json.loads(out)
            for q, name in ((50, "p50"), (95, "p95")):
                rows.append(Row(f"/thump round trip {name}, essence_module {args.size} "
                                f"(frame {frame_ms(frames):.0f} ms), control={control}",
                                percentile(got["rig"], q), percentile(got["bare"], q),
                                len(got["rig"])))
        for control in ("thread", "process") if args.only != "thump" else ():
            udp, tcp = free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_STREAM)
            frames, out, renderer = run_rig(
                control, cues=True, size=size, udp_port=udp, tcp_port=tcp,
                options=args,
                client=["--go-client", str(udp), str(tcp), str(args.gos),
                        str(args.flood_seconds)])
            sends = json.loads(out)
            measured = min(float(s["sent"]) for s in sends if s["phase"] != "warmup"
                           and isinstance(s["sent"], float))
            labels = {"idle": "idle", "flood": f"{FLOOD_RATE:,} msg/s flood",
                      "after": "right after the flood"}
            for phase, label in labels.items():
                tally = go_latencies(frames, sends, phase)
                where = (f"{label}, {args.size} (frame {frame_ms(frames, measured):.0f} ms), "
                         f"control={control}")
                for q, name in ((50, "p50"), (95, "p95")):
                    rows.append(Row(f"OSC GO -> first frame showing the cue {name}, {where}",
                                    percentile(tally.shown, q), percentile(tally.ideal, q),
                                    len(tally.shown), tally.lost + tally.late, tally.note()))
                    rows.append(Row(f"OSC GO -> applied reply {name}, {where}",
                                    percentile(tally.applied, q), percentile(tally.ideal, q),
                                    len(tally.applied), None, "bare: the ideal frame's end"))
    finally:
        echo.kill()
    print(f"OSC control while the rig renders headless ({renderer}); bare: a Python UDP echo "
          "in its own process for /thump; for GO, the end of the first frame that started "
          "after it")
    print()
    print("| figure | rig ms | bare ms | ratio | n | lost or late | note |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for row in rows:
        print(row.cells())
    print()
    for row in rows:
        print(row.json_line(renderer))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
