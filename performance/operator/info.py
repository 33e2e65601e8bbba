"""`OperatorInfo`: what the operator overlay may show for one frame (never the stage image)."""

from __future__ import annotations

from dataclasses import dataclass

from performance.core.status import InputStatus
from performance.core.types import Observations, RoomEmotion
from performance.show.frame import ShowFrame


@dataclass(frozen=True)
class OperatorInfo:
    """What the operator overlay may show for one frame (never drawn on the stage image)."""

    now: float
    frame: int
    show: ShowFrame
    emotion: RoomEmotion
    input_status: InputStatus
    messages: tuple[str, ...]
    stats: str | None
    observations: Observations | None
