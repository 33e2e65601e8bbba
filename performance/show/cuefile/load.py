"""Loading a show file (TOML) into a `CueList`, with every problem named by file:line and cue.

Nothing in a show file is evaluated: it is TOML data checked against a fixed schema and
against the visuals' declared inputs (the catalog). All problems are collected and raised
together as one `CueListError`, so `essence check` can list them at once.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Collection
from pathlib import Path
from typing import Any

from performance.core.errors import EssenceError
from performance.core.files import parse_toml, read_text, reason
from performance.core.inputs import InputValue
from performance.show.cuefile import fields
from performance.show.cuefile.fields import Problem as _Problem
from performance.show.cuefile.lines import LineIndex
from performance.show.cuefile.model import Act, Catalog, Cue, CueList, NextAction, parse_target

CUE_KEYS = ("id", "name", "act", "visual", "inputs", "transition", "pre_wait", "post_wait",
            "next", "osc", "sound", "when")
ACT_KEYS = ("number", "name", "sound", "map")
SHOW_KEYS = ("title", "osc_target")


class CueError(EssenceError):
    """One problem in a show file: file, line, the cue or act, and the reason."""

    def __init__(self, path: str | Path, line: int, reason: str, subject: str = "") -> None:
        self.path, self.line, self.reason, self.subject = str(path), line, reason, subject
        super().__init__(f"{self.path}:{line}: " + (f"{subject}: " if subject else "") + reason)


class CueListError(EssenceError):
    """A show file that cannot be used; `errors` lists every problem found."""

    def __init__(self, errors: list[CueError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


def load_cue_file(path: str | Path, catalog: Catalog,
                  palettes: Collection[str] | None = None) -> CueList:
    """Read and validate a show file; raises CueListError naming file:line and cue.
    `palettes`: the sound palettes a cue may name (None: any name)."""
    path = Path(path)
    try:  # a FIFO or a device (/dev/zero) is refused at once, never read
        text = read_text(path)
    except OSError as exc:
        raise CueListError([CueError(path, 1, f"cannot read the show file ({reason(exc)})")]
                           ) from None
    except UnicodeDecodeError as exc:
        raise CueListError([CueError(path, 1, f"cannot read the show file: not UTF-8 text "
                                              f"({exc.reason} at byte {exc.start})")]) from None
    return parse_cue_text(text, path, catalog, palettes)


def parse_cue_text(text: str, path: str | Path, catalog: Catalog,
                   palettes: Collection[str] | None = None) -> CueList:
    """Validate show-file text (named `path` in messages) against the visual catalog and
    the sound palettes (None: any palette name)."""
    try:
        data = parse_toml(text)  # too deep a nesting is a TOMLDecodeError too
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        line = int(m.group(1)) if m else 1
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        where = f" (column {m.group(2)})" if m else ""
        raise CueListError([CueError(path, line, f"not valid TOML: {reason}{where}")]) from exc
    return _Loader(Path(path), LineIndex(text), catalog, palettes).load(data)


class _Loader:
    def __init__(self, path: Path, lines: LineIndex, catalog: Catalog,
                 palettes: Collection[str] | None) -> None:
        self.path, self.lines, self.catalog = path, lines, catalog
        self.palettes = tuple(palettes) if palettes is not None else None
        self.errors: list[CueError] = []
        self.broken_acts: set[int] = set()  # acts with a broken cue: skip mapping checks

    def fail(self, kind: str, index: int, subject: str, problem: _Problem) -> None:
        line = self.lines.key(kind, index, *problem.key) if problem.key \
            else self.lines.table(kind, index)
        self.errors.append(CueError(self.path, line, problem.reason, subject))

    def load(self, data: dict[str, Any]) -> CueList:
        for key in data:
            if key not in ("show", "act", "cue"):
                self.errors.append(CueError(self.path, self.lines.find(key),
                                            f"unknown top-level table {key!r} "
                                            "(known: show, act, cue)"))
        title, target = self._show(data.get("show", {}))
        raw_acts = data.get("act", [])
        raw_cues = data.get("cue", [])
        if not isinstance(raw_acts, list) or not isinstance(raw_cues, list):
            raise CueListError([CueError(self.path, 1, "write acts as [[act]] and cues as "
                                         "[[cue]] tables")])
        indexed = [(i, a) for i, raw in enumerate(raw_acts) if (a := self._act(i, raw))]
        acts = [a for _, a in indexed]
        numbers = {raw["number"] for raw in raw_acts if isinstance(raw, dict)
                   and isinstance(raw.get("number"), int)}
        seen: set[int] = set()
        for i, act in indexed:
            if act.number in seen:
                self.fail("act", i, f"act {act.number}",
                          _Problem(f"duplicate act number {act.number}", "number"))
            seen.add(act.number)
        cues: list[Cue] = []
        first_line: dict[str, int] = {}
        previous_act: int | None = None
        for i, raw in enumerate(raw_cues):
            cue = self._cue(i, raw, numbers, previous_act, target)
            if cue is None:
                continue
            previous_act = cue.act
            if cue.id in first_line:
                self.fail("cue", i, f"cue {cue.id}", _Problem(
                    f"duplicate cue id {cue.id!r} (first at line {first_line[cue.id]})", "id"))
                continue
            first_line[cue.id] = cue.line
            cues.append(cue)
        if not raw_cues:
            self.errors.append(CueError(self.path, 1, "the show has no [[cue]] tables"))
        acts = [self._check_mappings(i, act, cues) for i, act in indexed]
        if self.errors:
            raise CueListError(self.errors)
        return CueList(self.path, tuple(acts), tuple(cues), self.catalog, title, target,
                       self.palettes)

    # -- [show] -------------------------------------------------------------------------
    def _show(self, raw: Any) -> tuple[str, str | None]:
        try:
            table = fields.as_table(raw, "[show]")
            fields.known_keys(table, SHOW_KEYS, "[show]")
            title = fields.as_string(table.get("title", ""), "title")
            target = table.get("osc_target")
            if target is not None:
                parse_target(fields.as_string(target, "osc_target"))
            return title, target
        except _Problem as p:
            self.fail("show", 0, "", p)
        except ValueError as exc:
            self.fail("show", 0, "", _Problem(str(exc), "osc_target"))
        return "", None

    # -- [[act]] --------------------------------------------------------------------------
    def _act(self, i: int, raw: Any) -> Act | None:
        subject = f"act #{i + 1}"
        try:
            table = fields.as_table(raw, "[[act]]")
            if isinstance(table.get("number"), int):
                subject = f"act {table['number']}"
            fields.known_keys(table, ACT_KEYS, "an act")
            number = table.get("number")
            if not isinstance(number, int) or isinstance(number, bool) or number < 1:
                raise _Problem(f"act number must be a whole number >= 1, got {number!r}",
                               "number")
            name = fields.as_string(table.get("name", ""), "name")
            sound = fields.parse_sound(table["sound"], self.palettes) if "sound" in table \
                else None
            raw_map = fields.as_table(table.get("map", {}), "map")
            mappings = tuple(fields.parse_mapping(k, v) for k, v in raw_map.items())
        except _Problem as p:
            self.fail("act", i, subject, p)
            return None
        return Act(number, name, mappings, sound, self.lines.table("act", i))

    def _check_mappings(self, i: int, act: Act, cues: list[Cue]) -> Act:
        if act.number in self.broken_acts:
            return act
        declared = {spec.name for cue in cues if cue.act == act.number
                    for spec in self.catalog.get(cue.visual, ())}
        for m in act.mappings:
            if m.input not in declared:
                self.fail("act", i, f"act {act.number}", _Problem(
                    f"mapping for {m.input!r}: no visual of this act declares that input "
                    f"(declared: {', '.join(sorted(declared)) or 'none'})", "map", m.input))
        return act

    # -- [[cue]] --------------------------------------------------------------------------
    def _cue(self, i: int, raw: Any, acts: set[int], previous_act: int | None,
             default_target: str | None) -> Cue | None:
        subject = f"cue #{i + 1}"
        problems: list[_Problem] = []
        try:
            table = fields.as_table(raw, "[[cue]]")
            cue_id = fields.parse_cue_id(table.get("id"))
            subject = f"cue {cue_id}"
        except _Problem as p:
            if isinstance(raw, dict) and isinstance(raw.get("id"), str):
                subject = f"cue {raw['id']}"
            self.fail("cue", i, subject, p)
            return None

        def field(fn: Any, *args: Any) -> Any:
            try:
                return fn(*args)
            except _Problem as p:
                problems.append(p)
                return None

        field(fields.known_keys, table, CUE_KEYS, "a cue")
        name = field(fields.as_string, table.get("name", ""), "name") or ""
        act = field(fields.check_act, table.get("act", previous_act), acts)
        visual = field(fields.check_visual, table.get("visual"), self.catalog)
        inputs: dict[str, InputValue] = {}
        if visual is not None:
            specs = {s.name: s for s in self.catalog[visual]}
            inputs = {name: s.default for name, s in specs.items()}
            raw_inputs = field(fields.as_table, table.get("inputs", {}), "inputs")
            for key, value in fields.items_of(raw_inputs):
                checked = field(fields.check_input, visual, specs, key, value)
                if checked is not None:
                    inputs[key] = checked
        transition = field(fields.parse_transition, table.get("transition", {}))
        pre_wait = field(fields.as_seconds, table.get("pre_wait", 0.0), "pre_wait")
        post_wait = field(fields.as_seconds, table.get("post_wait", 0.0), "post_wait")
        next_action = field(fields.parse_next, table.get("next", "none"))
        if post_wait and next_action in (NextAction.NONE, NextAction.AUTO_FOLLOW):
            problems.append(_Problem(
                f"post_wait only applies with next = \"auto_continue\" (next is "
                f"{str(next_action)!r})", "post_wait"))
        osc = field(fields.parse_osc, table.get("osc", []), default_target)
        sound = field(fields.parse_sound, table["sound"], self.palettes) if "sound" in table \
            else None
        when = field(fields.parse_condition, table["when"]) if "when" in table else None
        for problem in problems:
            self.fail("cue", i, subject, problem)
        if problems or None in (act, visual, transition, pre_wait, post_wait, next_action, osc):
            self.broken_acts.add(act if act is not None else -1)
            return None
        return Cue(cue_id, name, act, visual, inputs, transition, pre_wait, post_wait,
                   next_action, osc, sound, when, self.lines.table("cue", i))
