"""The `essence devices` subcommand: only parses options; the listing is in runtime/devices.py."""

from __future__ import annotations

import argparse

from performance.config import Settings


def register(sub: argparse._SubParsersAction) -> None:
    """Add `devices` to the `essence` parser."""
    devices = sub.add_parser(
        "devices", help="list audio outputs, cameras and displays (numbers and names to use)"
    )
    devices.set_defaults(handler=_devices)


def _devices(args: argparse.Namespace, settings: Settings) -> int:
    from performance.runtime.devices import device_report

    for title, lines in device_report():
        print(f"{title}:")
        for line in lines:
            print(line)
    return 0
