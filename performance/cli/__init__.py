"""The `essence` command: subcommands and their options (the only argparse in the rig).

Each subcommand lives in its own `performance/cli/<name>.py` module (run and rehearse share
`cli/live.py`, several commands share `cli/options.py`) with
`register(subparsers)`, which adds its parser and sets `handler(args, settings) -> int`; the
work happens in runtime/, analysis/ and below. Those modules import nothing heavy at module
level, so `essence --help` stays instant.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from performance import __version__
from performance.cli.settings_check import check_settings
from performance.config import SETTING_OPTIONS, load_settings
from performance.core.errors import EssenceError

COMMAND_MODULES: tuple[str, ...] = (
    "performance.cli.analyze",
    "performance.cli.baseline",
    "performance.cli.calibrate",
    "performance.cli.model",
    "performance.cli.run",
    "performance.cli.rehearse",
    "performance.cli.render",
    "performance.cli.record",
    "performance.cli.report",
    "performance.cli.check",
    "performance.cli.devices",
    "performance.cli.kiosk",
    "performance.cli.status",
    "performance.cli.soak",
)


def build_parser() -> argparse.ArgumentParser:
    """All subcommands and options (the README lists them)."""
    parser = argparse.ArgumentParser(
        prog="essence",
        description="Essence rig: emotion of the room -> generative light and sound.",
    )
    parser.add_argument("--version", action="version", version=f"essence {__version__}")
    parser.add_argument("--config", type=Path, help="settings file (TOML)")
    parser.add_argument("-v", "--verbose", action="store_true", help="more log output")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `essence` and `python -m performance`; returns the exit status."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        overrides = {key: getattr(args, key, None) for key in SETTING_OPTIONS}
        sources: dict[str, str] = {}
        settings = load_settings(args.config, overrides=overrides, sources=sources)
        check_settings(settings, sources)
        status = int(args.handler(args, settings))
        sys.stdout.flush()  # here, where a closed pipe is caught, not at the interpreter's exit
        return status
    except EssenceError as exc:
        print(f"essence: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `essence analyze --csv - | head`: the reader has had enough
        _quiet_stdout()
        return PIPE_CLOSED


PIPE_CLOSED = 141  # the status of a command a closed pipe stopped (128 + SIGPIPE), as the shell's


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's last flush of what was left for
    a reader that is gone does not print a traceback on the way out."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    finally:
        os.close(devnull)
