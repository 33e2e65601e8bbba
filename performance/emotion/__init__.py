"""Emotion: blendshapes -> emotion per face and for the crowd (pure functions + small state)."""
