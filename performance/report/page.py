"""The report page: one self-contained HTML file (plotly.js, the data and the contact sheet
inline; nothing is fetched when it is opened, so it works with no network).

Owns the page's order and text: the header figures, the plots (plots.py), the "fired by"
legend and the cue list, the statistics tables, the contact sheet of the rendered visuals
(a PNG as a data: URI; never a camera frame) and the atomic write.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

from performance.core.files import write_atomic
from performance.recording.records import FiredBy
from performance.report.plots import FIRED_BY_COLOURS, FIRED_BY_LABELS, plot_divs, plotly_js
from performance.report.timeline import Timeline

STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em auto; max-width: 1100px;
       color: #1d2230; background: #fafafc; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: 0.4em 0 1em; font-size: 0.9em; }
td, th { border-bottom: 1px solid #dde; padding: 0.2em 0.8em; text-align: left; }
.stats { display: flex; flex-wrap: wrap; gap: 2em; }
.swatch { display: inline-block; width: 0.9em; height: 0.9em; margin-right: 0.4em;
          vertical-align: middle; border-radius: 2px; }
.legend li { list-style: none; margin: 0.2em 0; }
.note { color: #8a5a00; }
img.contact { max-width: 100%; border: 1px solid #ccd; }
"""


def _e(text: object) -> str:
    return html.escape(str(text))


def _table(rows: list[tuple[str, str]], header: tuple[str, ...] = ()) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>"
                   for row in rows)
    return f"<table>{f'<tr>{head}</tr>' if head else ''}{body}</table>"


def _legend(timeline: Timeline) -> str:
    counts = timeline.fired_by()
    items = "".join(
        f'<li class="fired-by" data-by="{by}"><span class="swatch" style="background:'
        f'{FIRED_BY_COLOURS[by]}"></span>fired by {_e(FIRED_BY_LABELS[by])}: '
        f"{counts[by]} cue{'s' if counts[by] != 1 else ''}</li>" for by in FiredBy)
    return (f'<ul class="legend" id="fired-by-legend">{items}<li><span class="swatch" '
            'style="background:#444c5e"></span>solid line: an act begins; dotted: a cue '
            "fired</li></ul>")


def _cue_table(timeline: Timeline) -> str:
    if not timeline.cues:
        return "<p>No cue fired.</p>"
    rows = "".join(
        f'<tr class="cue" data-by="{c.by}"><td>{c.t:.2f}</td><td>{c.act}</td>'
        f"<td>{_e(c.cue)}</td><td>{_e(c.name)}</td><td><span class=\"swatch\" style=\""
        f'background:{FIRED_BY_COLOURS[c.by]}"></span>{_e(c.by)}</td></tr>'
        for c in timeline.cues)
    return (f'<table id="cue-list"><tr><th>t (s)</th><th>act</th><th>cue</th><th>name</th>'
            f"<th>fired by</th></tr>{rows}</table>")


def _contact_sheet(timeline: Timeline) -> str:
    if timeline.contact_sheet is None:
        return "<p>No contact sheet (the report was made without rendering the visuals).</p>"
    data = base64.b64encode(timeline.contact_sheet).decode("ascii")
    return (f'<img class="contact" id="contact-sheet" alt="contact sheet of the rendered '
            f'visuals" src="data:image/png;base64,{data}">')


MAX_POINTS = 5000  # points per plotted series; a longer show is averaged (Timeline.thinned)


def render_page(timeline: Timeline, max_points: int = MAX_POINTS) -> str:
    """The whole page as HTML text (the frame-time table from every frame; the plots from
    at most `max_points` points a series)."""
    divs = plot_divs(timeline.thinned(max_points))
    first, second = list(divs.values())[:4], list(divs.values())[4:]
    stats = "".join(f'<div><h3>{_e(name)}</h3>{_table(rows)}</div>'
                    for name, rows in timeline.stats.items())
    notes = "".join(f'<p class="note">{_e(n)}</p>'
                    for n in timeline.thinned(max_points).notes)
    summary = (f"{len(timeline.times)} show frames over {timeline.duration:.1f} s; "
               f"at most {timeline.max_faces} face{'s' if timeline.max_faces != 1 else ''} "
               f"in view; {len(timeline.acts)} act{'s' if len(timeline.acts) != 1 else ''}"
               f"; {len(timeline.cues)} cue"
               f"{'s' if len(timeline.cues) != 1 else ''} fired.")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{_e(timeline.title)}</title>
<style>{STYLE}</style>
<script type="text/javascript">{plotly_js()}</script>
</head><body>
<h1>{_e(timeline.title)}</h1>
<p id="summary">{_e(summary)}</p>{notes}
<h2>The room over time</h2>
{"".join(first)}
<h2>Acts and cues</h2>
{_legend(timeline)}
{second[0]}
{_cue_table(timeline)}
<h2>Frame times and perception</h2>
{second[1]}
<div class="stats">{stats}</div>
<h2>Contact sheet of the visuals</h2>
{_contact_sheet(timeline)}
</body></html>
"""


def write_page(timeline: Timeline, out: Path) -> Path:
    """Write the page to `out` atomically (whole or not at all); returns `out`."""
    write_atomic(Path(out), render_page(timeline).encode("utf-8"))
    return Path(out)
