"""Show: what is on stage now. The cue model, the sequencer and the autopilot live here.

Everything in show/ is pure and single-threaded: `apply(command)` and `tick(now, emotion)`
return a `ShowFrame`; the runtime renders and sounds it. The one piece other threads touch
is the sequencer's `GoGate` (`gogate.py`, thread-safe), which the OSC hub asks when a GO
arrives.
"""
