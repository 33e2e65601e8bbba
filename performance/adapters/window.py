"""The window: the rig's only `import pygame`.

Owns opening an OpenGL 3.3 core window (windowed or fullscreen, on a chosen display, hidden
cursor, vsync where the driver offers it), listing displays, turning pygame's events into
plain key names ("space", "escape", "left", "ctrl+q", ...; "quit" for the close button),
flipping and toggling fullscreen. The GL context it makes current is wrapped by
`performance.render.context.context_from_current_window`.
"""

from __future__ import annotations

import logging
import os
import warnings
from dataclasses import dataclass

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
# SIGTERM and SIGINT stay the rig's (runtime/signals.py ends the run cleanly on them): SDL
# would otherwise turn them into a window-close event, which a kiosk ignores by design.
os.environ.setdefault("SDL_NO_SIGNAL_HANDLERS", "1")

import pygame

from performance.core.errors import InputError

log = logging.getLogger(__name__)

QUIT = "quit"
RESIZED = "resized"


@dataclass(frozen=True)
class DisplayInfo:
    """One monitor or projector as the window system reports it."""

    index: int
    size: tuple[int, int]


NO_SCREEN_DRIVERS = ("offscreen", "dummy")  # SDL's fallbacks when there is no window system
NO_DISPLAY_HINT = ("set DISPLAY to the screen (e.g. DISPLAY=:0); without one, run and rehearse "
                   "take --headless (calibrate draws on a screen: it needs one)")


def _init_video() -> None:
    where = os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or "display"
    try:
        pygame.display.init()
    except pygame.error as exc:
        raise InputError(where, f"cannot open the window system ({exc}); {NO_DISPLAY_HINT}"
                         ) from exc
    driver = pygame.display.get_driver()
    if driver in NO_SCREEN_DRIVERS and not os.environ.get("SDL_VIDEODRIVER"):
        pygame.display.quit()  # a window nobody can see is no show: say so instead
        raise InputError(where, f"no window system found (SDL fell back to its '{driver}' "
                                f"driver); {NO_DISPLAY_HINT}")


def list_displays() -> list[DisplayInfo]:
    """The displays a window can open on, by index (raises InputError without a display)."""
    was_open = pygame.display.get_init()
    _init_video()
    try:
        sizes = pygame.display.get_desktop_sizes()
        return [DisplayInfo(i, (int(w), int(h))) for i, (w, h) in enumerate(sizes)]
    finally:
        if not was_open:
            pygame.display.quit()


def key_name(key: int, mod: int) -> str:
    """pygame's key code and modifiers as a plain name: "space", "i", "ctrl+q", and with
    ctrl held also shift and alt: "ctrl+shift+q" (the kiosk's exit chord)."""
    name = pygame.key.name(key).lower()
    if not mod & pygame.KMOD_CTRL or name.endswith(("ctrl", "shift", "alt")):
        return name
    held = ["ctrl"]
    if mod & pygame.KMOD_SHIFT:
        held.append("shift")
    if mod & pygame.KMOD_ALT:
        held.append("alt")
    return "+".join([*held, name])


@dataclass(frozen=True)
class InputEvent:
    """A key or pointer event for tools that edit with the mouse (`Window.input_events`):
    `kind` "key" (with `key` as `key_name` gives it, "shift+" in front when Shift is held),
    "down"/"move"/"up" (left button, `position` in window pixels from the top-left),
    "quit" or "resized"."""

    kind: str
    key: str = ""
    position: tuple[int, int] = (0, 0)


class Window:
    """A pygame OpenGL 3.3 core window. Not thread-safe: the main thread owns it."""

    def __init__(
        self,
        size: tuple[int, int],
        *,
        fullscreen: bool = False,
        display: int = 0,
        vsync: bool = True,
        hide_cursor: bool = True,
        title: str = "Essence",
    ) -> None:
        _init_video()
        count = pygame.display.get_num_displays()
        if not 0 <= display < count:
            pygame.display.quit()
            raise InputError(f"display {display}", f"no such display (this machine has "
                             f"{count}: 0..{count - 1})")
        self.display = display
        self.windowed_size = size
        self.fullscreen = fullscreen
        self.vsync = vsync
        self.title = title
        self.hide_cursor = hide_cursor
        self.vsync_active = False
        try:
            self._open()
        except BaseException:
            pygame.display.quit()
            raise

    def _flags(self) -> int:
        flags = pygame.OPENGL | pygame.DOUBLEBUF
        if self.fullscreen:
            flags |= pygame.FULLSCREEN
        return flags

    def _open(self) -> None:
        pygame.display.gl_set_attribute(pygame.GL_CONTEXT_MAJOR_VERSION, 3)
        pygame.display.gl_set_attribute(pygame.GL_CONTEXT_MINOR_VERSION, 3)
        pygame.display.gl_set_attribute(
            pygame.GL_CONTEXT_PROFILE_MASK, pygame.GL_CONTEXT_PROFILE_CORE
        )
        size = (0, 0) if self.fullscreen else self.windowed_size
        self.vsync_active = False
        if self.vsync:
            try:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    pygame.display.set_mode(size, self._flags(), display=self.display, vsync=1)
                self.vsync_active = not any("vsync" in str(w.message) for w in caught)
            except pygame.error as exc:
                log.info("vsync not available (%s); pacing by the clock only", exc)
            else:
                if not self.vsync_active:
                    log.info("vsync not available here; pacing by the clock only")
                return self._finish()
        if not self.vsync_active:
            try:
                pygame.display.set_mode(size, self._flags(), display=self.display)
            except pygame.error as exc:
                raise InputError(f"display {self.display}",
                                 f"cannot open an OpenGL 3.3 window ({exc})") from exc
        self._finish()

    def _finish(self) -> None:
        pygame.display.set_caption(self.title)
        pygame.mouse.set_visible(not (self.hide_cursor or self.fullscreen))

    @property
    def size(self) -> tuple[int, int]:
        """The drawable size in pixels now."""
        w, h = pygame.display.get_surface().get_size()
        return (int(w), int(h))

    def events(self) -> list[str]:
        """Key names pressed since the last call, "quit" for a close request, "resized"."""
        out: list[str] = []
        for event in pygame.event.get():
            if event.type == pygame.QUIT:
                out.append(QUIT)
            elif event.type == pygame.KEYDOWN:
                out.append(key_name(event.key, event.mod))
            elif event.type in (pygame.VIDEORESIZE, pygame.WINDOWSIZECHANGED):
                out.append(RESIZED)
        return out

    def input_events(self) -> list[InputEvent]:
        """Keys (with Shift) and left-button pointer events since the last call (instead of
        `events`, for the mapping tool)."""
        out: list[InputEvent] = []
        for event in pygame.event.get():
            if event.type == pygame.QUIT:
                out.append(InputEvent(QUIT))
            elif event.type == pygame.KEYDOWN:
                name = key_name(event.key, event.mod)
                if event.mod & pygame.KMOD_SHIFT and "+" not in name and name != "shift":
                    name = "shift+" + name
                out.append(InputEvent("key", name))
            elif event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
                out.append(InputEvent("down", position=tuple(event.pos)))
            elif event.type == pygame.MOUSEMOTION and event.buttons[0]:
                out.append(InputEvent("move", position=tuple(event.pos)))
            elif event.type == pygame.MOUSEBUTTONUP and event.button == 1:
                out.append(InputEvent("up", position=tuple(event.pos)))
            elif event.type in (pygame.VIDEORESIZE, pygame.WINDOWSIZECHANGED):
                out.append(InputEvent(RESIZED))
        return out

    def flip(self) -> None:
        """Show the frame just drawn (waits for vsync where it is on)."""
        pygame.display.flip()

    def toggle_fullscreen(self) -> None:
        """Switch between fullscreen on this display and the windowed size.

        Only the window changes; SDL keeps the GL context, so programs and textures survive.
        """
        self.fullscreen = not self.fullscreen
        try:
            pygame.display.toggle_fullscreen()
        except pygame.error as exc:
            log.warning("fullscreen toggle failed (%s)", exc)
            self.fullscreen = not self.fullscreen
        pygame.mouse.set_visible(not (self.hide_cursor or self.fullscreen))

    def close(self) -> None:
        """Close the window and the video subsystem."""
        pygame.display.quit()


def post_key(name: str, *, ctrl: bool = False, shift: bool = False) -> None:
    """Queue a key press as if typed (tests and remote helpers): `name` as pygame names it."""
    mod = (pygame.KMOD_CTRL if ctrl else 0) | (pygame.KMOD_SHIFT if shift else 0)
    key = pygame.key.key_code(name)
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=key, mod=mod, unicode=""))

