"""The `essence status` subcommand: the kiosk's health report, read from its state folder."""

from __future__ import annotations

import argparse
import json
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
    print(json.dumps(data, indent=1) if args.json else format_health(data, age_s=age))
    running = data.get("mode") != "stopped" and age <= STALE_S
    return 0 if running and data.get("health") == "ok" else 1
