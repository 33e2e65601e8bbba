"""What a control surface shows of the show beside its position: the cue list and the inputs.

Owns `CueRow` (one cue as a cue console lists it: id, name, act, its waits and next action,
its audience condition) and `InputRow` (one declared input of the showing visual as a
surface draws it: type, label, range, default), and building them from the show's
`CueList` and the visual's declared inputs. The runtime builds them once per cue list (and
per visual) and hands them over in the `RigStatus`; the web console and OSCQuery read them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from performance.core.inputs import InputValue, ShaderInput
from performance.show.cuefile.model import CueList


@dataclass(frozen=True)
class CueRow:
    """One cue of the show as the console lists it (seconds for the waits)."""

    id: str
    name: str
    act: int
    act_name: str
    visual: str
    pre_wait: float
    transition: float
    post_wait: float
    next: str  # the NextAction's word: none, auto_continue, auto_follow
    condition: str = ""  # the audience condition, e.g. "chaos > 0.7 for 2s"; "" when none


@dataclass(frozen=True)
class InputRow:
    """One declared input of the showing visual, as a control surface draws it."""

    name: str
    type: str  # the InputType's word: float, int, long, bool, point2D, color
    label: str  # the header's LABEL, else the name
    default: InputValue
    minimum: InputValue | None = None
    maximum: InputValue | None = None


def cue_rows(cues: CueList) -> tuple[CueRow, ...]:
    """Every cue of the show in order, with its act's name."""
    acts = {act.number: act.name for act in cues.acts}
    return tuple(
        CueRow(id=cue.id, name=cue.name, act=cue.act, act_name=acts.get(cue.act, ""),
               visual=cue.visual, pre_wait=float(cue.pre_wait),
               transition=float(cue.transition.duration), post_wait=float(cue.post_wait),
               next=str(cue.next), condition=cue.when.describe() if cue.when else "")
        for cue in cues.cues)


def input_rows(specs: Iterable[ShaderInput]) -> tuple[InputRow, ...]:
    """A visual's declared inputs in header order."""
    return tuple(InputRow(name=s.name, type=str(s.type), label=s.label or s.name,
                          default=s.default, minimum=s.minimum, maximum=s.maximum)
                 for s in specs)
