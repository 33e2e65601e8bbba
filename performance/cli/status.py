"""The `essence status` subcommand: the kiosk's health report, read from its state folder."""

from __future__ import annotations

import argparse
import json
import os
import time

from performance.config import Settings


def register(sub: argparse._SubParsersAction) -> None:
    """Add `status` to the `essence` parser."""
    status = sub.add_parser("status", help="the running kiosk's health report")
    status.add_argument("--json", action="store_true", help="print the report as JSON")
    status.set_defaults(handler=_status)


STALE_S = 30.0  # a report older than this: the kiosk is not updating it (exit status 1)


def _status(args: argparse.Namespace, settings: Settings) -> int:
    from performance.kiosk.health import format_health, read_health
    from performance.kiosk.state import state_paths

    path = state_paths().health
    data = read_health(path)
    age = max(0.0, time.time() - path.stat().st_mtime)
    gone = not _alive(data.get("pid"))
    print(json.dumps(data, indent=1) if args.json else format_health(data, age_s=age))
    if gone and data.get("mode") != "stopped":  # killed: the report is its last word
        print(f"essence: the kiosk that wrote this (pid {data.get('pid')}) is gone")
    running = data.get("mode") != "stopped" and age <= STALE_S and not gone
    return 0 if running and data.get("health") == "ok" else 1


def _alive(pid: object) -> bool:
    """Whether process `pid` exists here (a report from another machine's pid namespace
    reads as alive: only a pid known to be gone says so)."""
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return True
    try:
        os.kill(pid, 0)  # PermissionError: it exists, as another user's
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True
