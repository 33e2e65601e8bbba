"""Rendering: uniform contract, shader sources, programs with hot reload, the renderer.

The only package that imports moderngl. No window here: the runtime passes a context
and a framebuffer (the window's screen, or an OffscreenTarget's framebuffer).
"""
