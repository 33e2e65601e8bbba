"""Finding the line of a cue, an act or a key in a TOML show file, for error messages.

tomllib gives values without positions, so the loader asks this index instead: it scans the
table headers (`[[cue]]`, `[cue.inputs]`, `[[act]]`, `[show]` …) and `key =` lines.
"""

from __future__ import annotations

import re

_HEADER = re.compile(r"^\s*(\[\[|\[)\s*([A-Za-z0-9_.\-\" ]+?)\s*\]\]?\s*(#.*)?$")


def _key_pattern(key: str) -> re.Pattern[str]:
    k = re.escape(key)
    return re.compile(rf'(^|[\s{{,.\[])("{k}"|{k})\s*(=|\]\]|\])')


class LineIndex:
    """Line numbers (1-based) of the array-of-tables elements and their keys."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.blocks: dict[str, list[tuple[int, int]]] = {}
        current: tuple[str, int] | None = None
        starts: list[tuple[str, int]] = []
        for number, line in enumerate(self.lines, start=1):
            m = _HEADER.match(line)
            if m is None:
                continue
            name = m.group(2).replace('"', "").replace(" ", "")
            top = name.split(".")[0]
            is_new_element = m.group(1) == "[[" and "." not in name
            if current is not None and (top != current[0] or is_new_element):
                current = None
            if current is None:
                current = (top, number)
                starts.append(current)
        bounds = [n for _, n in starts] + [len(self.lines) + 1]
        for (top, start), end in zip(starts, bounds[1:], strict=True):
            self.blocks.setdefault(top, []).append((start, end))

    def table(self, kind: str, index: int = 0) -> int:
        """Header line of the `index`-th `[[kind]]` element (or `[kind]` table); 1 if absent."""
        found = self.blocks.get(kind, [])
        return found[index][0] if index < len(found) else 1

    def key(self, kind: str, index: int, *path: str | int) -> int:
        """Line of a key inside the `index`-th `kind` element, e.g. ("inputs", "speed") or
        ("osc", 1, "address"); falls back to the closest line found, then the header."""
        found = self.blocks.get(kind, [])
        if index >= len(found):
            return 1
        start, end = found[index]
        line, nth = start, 0
        for step in path:
            if isinstance(step, int):
                nth = step
                continue
            pattern = _key_pattern(step)
            hits = [n for n in range(line, end)
                    if pattern.search(self.lines[n - 1].split("#", 1)[0])]
            if hits:
                line = hits[min(nth, len(hits) - 1)]
            nth = 0
        return line

    def find(self, key: str) -> int:
        """First line that defines `key` (a key or a table header) anywhere; 1 if none."""
        pattern = _key_pattern(key)
        for number, line in enumerate(self.lines, start=1):
            if pattern.search(line.split("#", 1)[0]):
                return number
        return 1
