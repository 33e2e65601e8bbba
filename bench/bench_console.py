"""The web console while the heaviest visual renders: `control = "process"` vs `"thread"`.

A real `essence run --headless --input scripted --visual essence_module --size 1280x720
--console PORT` (the console served from the OSC control process, or with
`--control thread` from threads of the render process); a client in this process (not the
rig's) opens the console's WebSocket and sends `{"op": "connect", "code": ""}`, which the
console turns into `/connect` through the control hub and the hub answers at once, so the
round trip is the console's and the hub's own responsiveness, never the show's frame.
"bare": the same client, in turn, against a bare aiohttp WebSocket echo server alone in
its own process. Figures are p50 and p95 of the round trips.

Prints a markdown table, then one JSON line per figure.
Usage: .venv/bin/python bench/bench_console.py [--seconds S] [--size WxH]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time

from report import ROOT, Figure, gl_renderer, percentile, publish

LOCAL = "127.0.0.1"
COMMAND = json.dumps({"op": "connect", "code": ""})


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOCAL, 0))
        return int(s.getsockname()[1])


def echo_server(port: int) -> None:
    """The bare reference: an aiohttp WebSocket that echoes, alone in its process."""
    from aiohttp import web

    async def ws(request: web.Request) -> web.WebSocketResponse:
        sock = web.WebSocketResponse()
        await sock.prepare(request)
        async for message in sock:
            await sock.send_str(message.data)
        return sock

    app = web.Application()
    app.router.add_get("/ws", ws)
    web.run_app(app, host=LOCAL, port=port, print=None)


async def round_trips(rig: str, bare: str, seconds: float) -> dict[str, list[float]]:
    """Round trips to the rig's console and to the echo server, in turn."""
    import aiohttp

    out: dict[str, list[float]] = {"rig": [], "bare": []}
    async with aiohttp.ClientSession() as session, \
            session.ws_connect(rig) as to_rig, session.ws_connect(bare) as to_bare:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            t0 = time.perf_counter()
            await to_rig.send_str(COMMAND)
            while True:  # states and pictures come between: wait for the reply
                message = json.loads((await to_rig.receive(timeout=10.0)).data)
                if message.get("type") == "reply":
                    break
            out["rig"].append(1000.0 * (time.perf_counter() - t0))
            t0 = time.perf_counter()
            await to_bare.send_str(COMMAND)
            await to_bare.receive(timeout=10.0)
            out["bare"].append(1000.0 * (time.perf_counter() - t0))
            await asyncio.sleep(0.02)
    return out


def wait_listening(port: int, proc: subprocess.Popen[bytes], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the rig ended (exit {proc.returncode}) before its console "
                             "listened")
        with socket.socket() as s:
            if s.connect_ex((LOCAL, port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit(f"nothing listened on {port} within {timeout:g} s")


def measure(control: str, size: str, seconds: float, bare_port: int) -> dict[str, list[float]]:
    console = free_port()
    env = dict(os.environ, ALSA_CONFIG_PATH=str(ROOT / "tests" / "data" / "alsa-null.conf"))
    rig = subprocess.Popen(
        [sys.executable, "-m", "performance", "run", "--headless", "--input", "scripted",
         "--visual", "essence_module", "--size", size, "--no-sound", "--fps", "60",
         "--control", control, "--console", str(console), "--oscquery-port", "0",
         "--osc-port", str(free_port()), "--seconds", str(seconds + 60)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_listening(console, rig)
        time.sleep(3.0)  # the first frames (shader warm-up) are not the steady state
        return asyncio.run(round_trips(f"ws://{LOCAL}:{console}/ws",
                                       f"ws://{LOCAL}:{bare_port}/ws", seconds))
    finally:
        rig.terminate()
        rig.wait(20)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--echo", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.echo:
        echo_server(args.echo)
        return 0
    bare_port = free_port()
    echo = subprocess.Popen([sys.executable, __file__, "--echo", str(bare_port)])
    figures = []
    try:
        for control in ("process", "thread"):
            got = measure(control, args.size, args.seconds, bare_port)
            for q, name in ((50, "p50"), (95, "p95")):
                figures.append(Figure(
                    f"console command round trip {name}, essence_module {args.size}, "
                    f"control={control}", percentile(got["rig"], q),
                    percentile(got["bare"], q), note=f"n={len(got['rig'])}"))
    finally:
        echo.kill()
    publish("The web console while the rig renders (bare: an aiohttp WebSocket echo in "
            "its own process)", figures, gl_renderer())
    return 0


if __name__ == "__main__":
    sys.exit(main())
