"""`Feed`: the texts every console page is sent, made once for all of them.

The cue list (`cues`, rebuilt only when its `cues_key` changed), the state, and a picture
of each kind (JPEG-encoded once per new picture). No sockets, no aiohttp: `server.py`
hands the texts to each `Page`.
"""

from __future__ import annotations

import json

from performance.console.messages import picture_message
from performance.console.pictures import PictureKind, PictureSource, encode_jpeg
from performance.console.protocol import cues_key, cues_message, state_message
from performance.control.feedback import RigStatus


def compact(message: dict[str, object]) -> str:
    """A message as JSON text without spaces."""
    return json.dumps(message, separators=(",", ":"))


class Feed:
    """What the pages are sent of one status and one picture source (see the module)."""

    def __init__(self, pictures: PictureSource | None, kinds: tuple[PictureKind, ...]) -> None:
        self.pictures = pictures
        self.kinds = kinds
        self._cues_key: tuple[object, ...] | None = None
        self._cues_text = ""
        self._taken: dict[PictureKind, float] = {}

    def texts(self, status: RigStatus | None, show_mode: bool | None) -> tuple[str, str]:
        """(cue list message, state message) of `status`; the cue list's text is made again
        only when the cue list, the running cue or the playhead changed."""
        key = cues_key(status)
        if key != self._cues_key:
            self._cues_key = key
            self._cues_text = compact(cues_message(status))
        return self._cues_text, compact(state_message(status, show_mode=show_mode))

    def picture(self, kind: PictureKind) -> str | None:
        """The newest picture of `kind` as a message; None when there is none (or it
        cannot be encoded)."""
        picture = self.pictures.latest(kind) if self.pictures is not None else None
        if picture is None:
            return None
        try:
            jpeg = encode_jpeg(picture)
        except ValueError:
            return None
        self._taken[kind] = picture.taken
        return json.dumps(picture_message(str(kind), picture.width, picture.height,
                                          picture.taken, jpeg))

    def new_pictures(self) -> list[tuple[PictureKind, str]]:
        """The kinds with a picture newer than the one last made, each as a message."""
        out: list[tuple[PictureKind, str]] = []
        for kind in self.kinds:
            picture = self.pictures.latest(kind) if self.pictures is not None else None
            if picture is None or picture.taken == self._taken.get(kind):
                continue
            text = self.picture(kind)
            if text is not None:
                out.append((kind, text))
        return out
