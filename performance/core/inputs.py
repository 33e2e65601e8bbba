"""Declared shader inputs: the input types, their widths, and the `ShaderInput` value.

A visual declares its tunable inputs in an ISF-style header (parsed by
`performance.render.source`); the show checks cue values against them, fades them and maps
the room onto them (`performance.show`). Both read the one definition here, so core owns it.

What only the GPU side needs (the GLSL type of an input, its uniform name `in_<NAME>`) stays
in `performance.render.source`: it is GLSL knowledge, and the show must not depend on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import SupportsFloat

InputValue = float | tuple[float, ...]
"""A value of one input: a number, or one number per component (point2D, color)."""


class InputType(StrEnum):
    """The ISF input types the rig supports; compares equal to the header's TYPE text."""

    FLOAT = "float"
    INT = "int"
    LONG = "long"
    BOOL = "bool"
    POINT2D = "point2D"
    COLOR = "color"

    @property
    def width(self) -> int:
        """Number of components: 2 for point2D, 4 for color, 1 for the rest."""
        return WIDTHS[self]

    @property
    def whole(self) -> bool:
        """Whole numbers only (int, long): values are rounded."""
        return self in (InputType.INT, InputType.LONG)

    @property
    def discrete(self) -> bool:
        """Switches instead of fading: a crossfade takes the new value at half-way."""
        return self in DISCRETE_TYPES


WIDTHS: Mapping[InputType, int] = {
    InputType.FLOAT: 1, InputType.INT: 1, InputType.LONG: 1, InputType.BOOL: 1,
    InputType.POINT2D: 2, InputType.COLOR: 4,
}
"""Components of each input type."""

DISCRETE_TYPES: frozenset[InputType] = frozenset({InputType.INT, InputType.LONG, InputType.BOOL})
"""Input types that switch at half-way in a crossfade instead of fading."""

TYPE_NAMES: frozenset[str] = frozenset(t.value for t in InputType)
"""The TYPE texts a header may use."""


def components(value: InputValue | None, width: int) -> list[float] | None:
    """`value` as one float per component (a number repeated `width` times); None stays None."""
    if value is None:
        return None
    return [float(x) for x in value] if isinstance(value, tuple) else [float(value)] * width


def _number(value: object) -> float:
    """`value` as a float (TypeError or ValueError when it is not a number)."""
    if isinstance(value, float | int):
        return float(value)
    if isinstance(value, str | SupportsFloat):
        return float(value)
    raise TypeError(f"expected a number, got {value!r}")


@dataclass(frozen=True)
class ShaderInput:
    """One declared input of a visual: name, type, default and optional MIN..MAX.

    `minimum`/`maximum` are None when the header sets no bound; for point2D and color they
    hold one bound per component.
    """

    name: str
    type: InputType
    default: InputValue
    minimum: InputValue | None = None
    maximum: InputValue | None = None
    label: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "type", InputType(self.type))

    @property
    def width(self) -> int:
        """Number of components of a value."""
        return self.type.width

    def coerce(self, value: object) -> InputValue:
        """Turn a value from a cue or OSC into this input's shape, clamped to MIN..MAX.

        NaN components take the default; int/long round, bool switches at 0.5. Raises
        ValueError (wrong number of components, not a number) or TypeError.
        """
        width = self.width
        items = value if isinstance(value, list | tuple) else [value]
        vals = [_number(v) for v in items]
        if len(vals) != width:
            raise ValueError(f"input {self.name!r} takes {width} number(s), got {len(vals)}")
        lo = components(self.minimum, width)
        hi = components(self.maximum, width)
        default = components(self.default, width) or [0.0] * width
        out = []
        for i, v in enumerate(vals):
            if v != v:  # NaN
                v = default[i]
            if lo is not None:
                v = max(v, lo[i])
            if hi is not None:
                v = min(v, hi[i])
            if self.type.whole:
                v = float(round(v))
            elif self.type is InputType.BOOL:
                v = 1.0 if v >= 0.5 else 0.0
            out.append(v)
        return out[0] if width == 1 else tuple(out)
