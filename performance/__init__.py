"""Essence rig: a live generative audiovisual performance system.

Data flows one way: sources -> perception -> emotion -> show -> render/audio.
"""

__version__ = "0.1.0"
