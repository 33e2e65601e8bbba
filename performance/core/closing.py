"""`Closing`: the one definition of "`with obj:` closes it on the way out"."""

from __future__ import annotations

from types import TracebackType
from typing import Self


class Closing:
    """Mixin for objects with `close()`: a `with` block closes them however it ends (a class
    may override `__exit__` to do otherwise on a failure, as the video writer aborts)."""

    def close(self) -> object:
        """Release what the object holds (subclasses implement it; what it returns, e.g. the
        path a writer finished, is theirs to say)."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
