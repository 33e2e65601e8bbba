"""The `essence soak` subcommand: a long headless kiosk run with OSC traffic and faults
injected, measured (the work is in performance/kiosk/soak.py)."""

from __future__ import annotations

import argparse
import tempfile
from dataclasses import replace
from pathlib import Path

from performance.config import Settings


def register(sub: argparse._SubParsersAction) -> None:
    """Add `soak` to the `essence` parser."""
    soak = sub.add_parser("soak", help="a long headless kiosk run with traffic and faults: "
                                       "memory, files, threads, frame times over time")
    soak.add_argument("--minutes", type=float, default=30.0, help="how long (default 30)")
    soak.add_argument("--input", required=True, metavar="VIDEO",
                      help="a clip with faces, looped as the camera")
    soak.add_argument("--size", default="640x360", metavar="WxH", help="stage size")
    soak.add_argument("--every", type=float, default=30.0, metavar="S",
                      help="seconds between samples (default 30)")
    soak.add_argument("--fault-every", type=float, default=120.0, metavar="S",
                      help="seconds between two injected child kills (default 120; 0: none)")
    soak.add_argument("--osc-port", type=int, default=53100, metavar="PORT")
    soak.add_argument("--out", type=Path, default=Path("out/soak.jsonl"),
                      help="samples as JSON lines (default out/soak.jsonl)")
    soak.set_defaults(handler=_soak)


def _soak(args: argparse.Namespace, settings: Settings) -> int:
    from performance.cli.options import parse_size
    from performance.core.errors import ConfigError, InputError
    from performance.kiosk.logs import LastError
    from performance.kiosk.run import run_kiosk
    from performance.kiosk.soak import Soak, slope_mb_per_hour, soak_table, write_samples
    from performance.kiosk.state import StatePaths
    from performance.runtime.live import LiveOptions

    if not args.minutes > 0 or not args.every > 0:
        raise ConfigError("--minutes and --every must be positive")
    if not Path(args.input).is_file():
        raise InputError(args.input, "no such video file")
    options = LiveOptions(input=args.input, loop_video=True, size=parse_size(args.size),
                          headless=True, seconds=args.minutes * 60.0)
    settings = replace(settings, osc_port=args.osc_port, osc_tcp_port=0,
                       cues=settings.cues or "", health_every=min(settings.health_every, 5.0))
    with tempfile.TemporaryDirectory(prefix="essence-soak-") as folder:
        paths = StatePaths(Path(folder))
        soak = Soak(health=paths.health, osc_port=args.osc_port, every=args.every,
                    fault_every=args.fault_every,
                    report=lambda s: print(f"soak: {s.t_s:.0f} s, rss {s.rss_mb:.0f} MB, "
                                           f"fds {s.fds}, threads {s.threads}, frames "
                                           f"{s.frames}, restarts {s.restarts}", flush=True))
        soak.start()
        try:
            run_kiosk(options, settings, paths, last_error=LastError())
        finally:
            soak.stop()
    samples = soak.samples
    summary = {"minutes": args.minutes, "rss_slope_mb_per_hour": round(
        slope_mb_per_hour(samples), 2), "children_slope_mb_per_hour": round(
        slope_mb_per_hour(samples, "children_mb"), 2), "faults": soak.faults,
        "recovered": soak.recovered,
        "osc_sent": soak.sent, "frames": samples[-1].frames if samples else 0}
    print(soak_table(samples))
    print("soak: " + ", ".join(f"{k} {v}" for k, v in summary.items()))
    write_samples(args.out, samples, summary)
    return 0
