"""The `essence calibrate` command: its subcommands, one module each (`register(sub)`), for
what a venue or a data set is fitted to: the emotion mapping, the projector, the camera, a
performer's resting face."""

from __future__ import annotations

import argparse
import importlib

CALIBRATE_MODULES: tuple[str, ...] = (
    "performance.cli.calibrate_emotion",
    "performance.cli.calibrate_projector",
    "performance.cli.calibrate_camera",
    "performance.cli.calibrate_neutral",
)


def register(sub: argparse._SubParsersAction) -> None:
    """Add `calibrate` and its subcommands to the `essence` parser."""
    calibrate = sub.add_parser(
        "calibrate", help="fit the rig to data or a venue: emotion, projector, camera, neutral",
        description="Fit the rig: the emotion mapping to labelled tables, or a venue's "
                    "projector and camera, or a performer's resting face.")
    what = calibrate.add_subparsers(dest="what", required=True, metavar="WHAT")
    for name in CALIBRATE_MODULES:
        importlib.import_module(name).register(what)
