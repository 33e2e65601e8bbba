"""`essence calibrate emotion`: only parses options; the fitting is in
performance/emotion/calibrate.py (dev-only: scikit-learn is imported there, when run)."""

from __future__ import annotations

import argparse
from pathlib import Path

from performance.config import CALIBRATION, CALIBRATION_FOLDS, Settings
from performance.core.errors import ConfigError


def register(sub: argparse._SubParsersAction) -> None:
    """Add `emotion` to the `essence calibrate` parser."""
    calibrate = sub.add_parser(
        "emotion", help="fit the emotion mapping to labelled blendshape tables (CSV)",
        description="Fit the blendshape -> emotion mapping.")
    calibrate.add_argument("csv", nargs="+", type=Path, help="labelled blendshape tables")
    calibrate.add_argument("--out", type=Path, default=CALIBRATION, help="TOML to write")
    calibrate.add_argument("--folds", type=int, default=CALIBRATION_FOLDS,
                           help=f"cross-validation folds (default {CALIBRATION_FOLDS})")
    calibrate.add_argument("--seed", type=int, default=0, help="fold shuffling seed")
    calibrate.add_argument("--fusion", nargs="+", type=Path, default=[], metavar="CSV",
                           help="tables with the expression network's reading "
                                "(tools/expression_table.py) to fit the fusion on")
    calibrate.set_defaults(handler=_calibrate)


def _calibrate(args: argparse.Namespace, settings: Settings) -> int:
    from performance.emotion.calibrate import calibrate

    if args.folds < 2:
        raise ConfigError(f"--folds must be at least 2, got {args.folds}")
    report = calibrate(args.csv, args.out, folds=args.folds, seed=args.seed,
                       fusion_tables=args.fusion)
    print(report.to_markdown())
    print(f"wrote {args.out}")
    return 0
