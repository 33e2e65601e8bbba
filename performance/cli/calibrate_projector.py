"""`essence calibrate projector`: the projector mapping tool (corner-pin, mesh, soft edges,
mask, brightness/gamma) on the output. Only parses options; the work is in
performance/runtime/mapping.py and the editing logic in performance/venue/editor.py."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from performance.cli.options import add_size_option, add_tool_file_options, parse_size
from performance.config import Settings
from performance.core.errors import ConfigError


def register(sub: argparse._SubParsersAction) -> None:
    """Add `projector` to `essence calibrate`."""
    tool = sub.add_parser(
        "projector", help="fit the picture to the wall: corner-pin, warp mesh, soft edges",
        description="Shows a test grid on the output through the mapping being edited. "
                    "Drag corners with the mouse or select one (1-4, Tab) and move it with "
                    "the arrows (Shift: coarse); M edits the mesh; E, - and = soft edges; "
                    "[ ] brightness; ; ' gamma; S saves; Esc quits. OSC: docs/venue.md.")
    add_tool_file_options(tool, what="mapping file",
                          default_out="calibration/<venue>-display<N>.toml")
    tool.add_argument("--venue", default="", metavar="NAME",
                      help="the venue's name (in the file and its default name)")
    tool.add_argument("--display", type=int, default=0, metavar="N",
                      help="display (projector) index (default 0)")
    tool.add_argument("--output-name", metavar="NAME",
                      help="the output's name on the grid (default: the file's, else "
                           "'display N')")
    tool.add_argument("--mesh", default="5x5", metavar="NxM",
                      help="the warp mesh made when mesh editing starts (default 5x5)")
    add_size_option(tool, help="output resolution (default: the file's, else the display's)")
    tool.add_argument("--windowed", action="store_true",
                      help="a window instead of fullscreen (trying it out on a desk)")
    tool.add_argument("--osc-port", type=int, metavar="PORT",
                      help="UDP port for /essence/calibrate/... (default: the osc_port "
                           "setting; 0: none)")
    tool.set_defaults(handler=_calibrate_projector)


def _calibrate_projector(args: argparse.Namespace, settings: Settings) -> int:
    from performance.core.files import check_writable
    from performance.runtime.mapping import MappingOptions, run_mapping
    from performance.venue.projector import (
        calibration_path,
        identity,
        load_projector,
        parse_mesh_size,
    )

    try:
        mesh = parse_mesh_size(args.mesh)
    except ValueError as exc:
        raise ConfigError(f"--mesh: {exc}") from None
    size = parse_size(args.size) if args.size else None
    if args.existing is not None:
        cal = load_projector(args.existing)
    else:
        if size is None and not args.windowed:
            from performance.adapters.window import list_displays

            displays = {d.index: d.size for d in list_displays()}
            size = displays.get(args.display)
        cal = identity(f"display {args.display}", size or (1280, 720), venue=args.venue)
    if size is not None:
        cal = replace(cal, size=size)
    if args.output_name:
        cal = replace(cal, output=args.output_name)
    if args.venue:
        cal = replace(cal, venue=args.venue)
    out = args.out or args.existing or calibration_path(args.venue or "venue", args.display)
    check_writable(Path(out), example="hall-display0.toml")  # before the window, not at S
    port = settings.osc_port if args.osc_port is None else args.osc_port
    result = run_mapping(MappingOptions(
        calibration=cal, out=out, display=args.display, fullscreen=not args.windowed,
        mesh_size=mesh, osc_host=settings.osc_host, osc_port=port))
    if result.unsaved:
        print(f"essence: quit without saving the last changes ({out} is as it was)")
    return 0
