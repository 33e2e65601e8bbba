"""The report's plots: the one module that imports plotly (the import-linter contract).

Owns the figures (faces in view, valence and arousal, chaos, the emotion shares, the cue
timeline with what fired each cue, frame times), their shared time axis with the act and cue
markers drawn on every plot, and plotly.js itself, inlined once in the page (no network).
Each figure is an HTML `<div id="plot-...">` drawn by plotly.js when the page loads.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import plotly.graph_objects as go
import plotly.offline

from performance.recording.records import FiredBy
from performance.report.timeline import Series, Timeline

PLOT_IDS: tuple[str, ...] = ("plot-faces", "plot-affect", "plot-chaos", "plot-emotions",
                             "plot-cues", "plot-frametimes")
"""The div ids of the plots, in page order."""

FIRED_BY_COLOURS: dict[FiredBy, str] = {
    FiredBy.GO: "#e4572e", FiredBy.AUDIENCE: "#29a0b1", FiredBy.AUTO: "#f3a712",
    FiredBy.FOLLOW: "#8a8fa3",
}
FIRED_BY_LABELS: dict[FiredBy, str] = {
    FiredBy.GO: "GO (operator)", FiredBy.AUDIENCE: "the audience (armed condition met)",
    FiredBy.AUTO: "AutoGo (unattended)", FiredBy.FOLLOW: "auto-follow / continue",
}
EMOTION_COLOURS: dict[str, str] = {
    "neutral": "#b0b4c0", "happy": "#f2c14e", "sad": "#3b6fb6", "angry": "#d62728",
    "surprised": "#ff7f0e", "fearful": "#9467bd", "disgusted": "#2ca02c",
}
ACT_COLOUR = "#444c5e"
HEIGHT = 260
CONFIG = {"displaylogo": False, "responsive": True}


def plotly_js() -> str:
    """plotly.js, the whole library, for one inline `<script>` (about 4.6 MB)."""
    return str(plotly.offline.get_plotlyjs())


def _markers(fig: go.Figure, timeline: Timeline) -> None:
    """The act changes (solid, labelled) and the cues fired (dotted, coloured by what fired
    them) as vertical lines across the plot."""
    for act in timeline.acts:
        fig.add_vline(x=act.t, line={"color": ACT_COLOUR, "width": 1.5},
                      annotation_text=act.label, annotation_position="top right",
                      annotation_font_size=10)
    for cue in timeline.cues:
        fig.add_vline(x=cue.t, line={"color": FIRED_BY_COLOURS[cue.by], "width": 1,
                                     "dash": "dot"})


def _layout(fig: go.Figure, timeline: Timeline, title: str, y_title: str,
            y_range: Sequence[float] | None = None, height: int = HEIGHT) -> None:
    x_range = [timeline.times[0], timeline.times[-1]] if len(timeline.times) > 1 else None
    fig.update_layout(title={"text": title, "x": 0.01}, height=height,
                      margin={"l": 60, "r": 20, "t": 40, "b": 40},
                      legend={"orientation": "h", "y": -0.25}, template="plotly_white")
    fig.update_xaxes(title_text="show clock (s)", range=x_range)
    fig.update_yaxes(title_text=y_title, range=list(y_range) if y_range else None)


def _line(timeline: Timeline, series: Series, name: str, colour: str) -> go.Scatter:
    return go.Scatter(x=timeline.times, y=timeline.values.get(series, []), name=name,
                      mode="lines", line={"color": colour, "width": 2})


def _faces(timeline: Timeline) -> go.Figure:
    fig = go.Figure([go.Scatter(x=timeline.times, y=timeline.values.get(Series.FACES, []),
                                name="faces in view", mode="lines", line_shape="hv",
                                fill="tozeroy", line={"color": "#3b75af", "width": 2})])
    _layout(fig, timeline, "Faces in view", "faces",
            (0, max(1, timeline.max_faces) + 0.5))
    return fig


def _affect(timeline: Timeline) -> go.Figure:
    fig = go.Figure([_line(timeline, Series.VALENCE, "valence", "#2ca02c"),
                     _line(timeline, Series.AROUSAL, "arousal", "#d62728")])
    _layout(fig, timeline, "Valence and arousal of the room", "value", (-1.05, 1.05))
    return fig


def _chaos(timeline: Timeline) -> go.Figure:
    fig = go.Figure([_line(timeline, Series.CHAOS, "chaos", "#9467bd")])
    _layout(fig, timeline, "Chaos (disagreement in the room)", "chaos", (0, 1.05))
    return fig


def _emotions(timeline: Timeline) -> go.Figure:
    fig = go.Figure([go.Scatter(x=timeline.times, y=shares, name=name, mode="lines",
                                stackgroup="shares",
                                line={"width": 0.5, "color": EMOTION_COLOURS.get(name)})
                     for name, shares in timeline.emotions.items()])
    _layout(fig, timeline, "Emotion shares of the room", "share", (0, 1.0), height=300)
    return fig


def _cues(timeline: Timeline) -> go.Figure:
    fig = go.Figure()
    for by in FiredBy:
        cues = [c for c in timeline.cues if c.by is by]
        fig.add_trace(go.Scatter(
            x=[c.t for c in cues], y=[c.act for c in cues], mode="markers+text",
            name=f"fired by {FIRED_BY_LABELS[by]}", text=[c.label for c in cues],
            textposition="top center", textfont={"size": 10},
            marker={"color": FIRED_BY_COLOURS[by], "size": 12, "symbol": "diamond"},
            hovertemplate="%{text}<br>t = %{x:.2f} s<br>act %{y}<extra>" + str(by) + "</extra>",
            showlegend=True))
    acts = [a.act for a in timeline.acts] + [c.act for c in timeline.cues]
    _layout(fig, timeline, "Cues fired (colour: what fired them)", "act",
            (min(acts, default=0) - 0.5, max(acts, default=1) + 0.8))
    fig.update_yaxes(dtick=1)
    return fig


def _frame_times(timeline: Timeline) -> go.Figure:
    times = timeline.times
    steps = [1000.0 * (b - a) for a, b in pairwise(times)]
    fig = go.Figure([go.Scatter(x=times[1:], y=steps, name="frame time", mode="lines",
                                line={"color": "#17becf", "width": 1.5})])
    _layout(fig, timeline, "Frame times (show clock)", "ms",
            (0, max(steps, default=1.0) * 1.2))
    return fig


def figures(timeline: Timeline) -> dict[str, go.Figure]:
    """The figures of the report by div id (PLOT_IDS), act and cue markers on each one
    that is over time."""
    made = {"plot-faces": _faces(timeline), "plot-affect": _affect(timeline),
            "plot-chaos": _chaos(timeline), "plot-emotions": _emotions(timeline),
            "plot-cues": _cues(timeline), "plot-frametimes": _frame_times(timeline)}
    for fig in made.values():
        _markers(fig, timeline)
    return made


def plot_divs(timeline: Timeline) -> dict[str, str]:
    """Each figure as an HTML div (its data and a script drawing it; plotly.js not
    included: the page inlines it once, `plotly_js()`)."""
    return {div_id: fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id,
                                config=CONFIG)
            for div_id, fig in figures(timeline).items()}
