"""Adapters to heavy libraries, one module each: the pygame window, the PyAV video writer,
the OpenCV contact sheet."""
