"""The console's own messages to a page besides the show's (`protocol.py`): `hello`, the
room's `history` and a `picture`, as JSON-ready dicts (docs/console.md lists them). Pure."""

from __future__ import annotations

import base64

from performance.console.history import RoomHistory, RoomSample
from performance.console.protocol import PROTOCOL_VERSION, MessageType, finite


def hello_message(page: int, needs_passcode: bool, pictures: list[str],
                  camera: bool) -> dict[str, object]:
    """The first message: the protocol, the page's number, whether it must send the
    passcode, the picture kinds it will be sent."""
    return {"type": MessageType.HELLO.value, "version": PROTOCOL_VERSION, "page": page,
            "needs_passcode": needs_passcode, "pictures": pictures, "camera": camera}


def history_message(history: RoomHistory | None,
                    sample: RoomSample | None = None) -> dict[str, object]:
    """The whole ring (`history`), or one new `sample` to append."""
    if history is not None:
        return {"type": MessageType.HISTORY.value, "every": history.every,
                "samples": history.snapshot()}
    return {"type": MessageType.HISTORY.value,
            "append": [sample.as_list()] if sample is not None else []}


def picture_message(kind: str, width: int, height: int, taken: float,
                    jpeg: bytes) -> dict[str, object]:
    """One JPEG of a picture kind, base64 in the JSON text."""
    return {"type": MessageType.PICTURE.value, "kind": kind, "width": width,
            "height": height, "taken": finite(taken, 3),
            "jpeg": base64.b64encode(jpeg).decode("ascii")}
