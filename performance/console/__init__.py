"""The operator's web console and OSCQuery: the show's cue list, GO and the room in a browser.

Served (off by default; `--console [HOST:]PORT`) from the OSC control process beside the
OSC sockets (`control.child`), so rendering never delays it; with `control = "thread"`
from threads of the render process. `options.py` parses what the user asked for;
`launch.ConsoleLaunch` is what crosses to that process and starts the servers there with
the process's `ControlHub`; `server.py` (aiohttp) serves the page (`static/`), its
WebSocket (`protocol.py`: the state it pushes, the commands it takes, sent through the
hub as OSC messages, so they queue, refuse and reply exactly as OSC does) and the
OSCQuery namespace (`oscquery.py`, announced over zeroconf by `announce.py`); the
stage's thumbnail and the opt-in camera preview come from the render process through
`pictures.py`. docs/console.md documents it.
"""
