"""A real headless browser for tests: Debian's chromium driven by its chromedriver through
Selenium (no browser download; `make sysdeps` installs both). Shared by the tests that look
at a page the rig writes (the rehearsal report; the kiosk's pages may reuse it).

`open_browser()` starts one; `screenshot(driver, url_or_path, ready_css)` opens a page, waits
until `ready_css` matches an element and returns the screenshot as an RGB array. Pages are
local files: the browser is started with its network features off and nothing to fetch.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import cv2
import numpy as np
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WINDOW = (1280, 2400)  # CSS pixels of the screenshot (tall: most of a report in one shot)


def missing() -> str | None:
    """Why no browser can start here (None when chromium and chromedriver are installed)."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if shutil.which(path) is None:
            return f"{path} is not installed (make sysdeps: apt-get install chromium " \
                   "chromium-driver)"
    return None


@contextmanager
def open_browser(window: tuple[int, int] = WINDOW) -> Iterator[webdriver.Chrome]:
    """A headless chromium (new headless mode, no sandbox: tests run as root in containers),
    closed on exit; RuntimeError naming what is missing when none can start here."""
    why = missing()
    if why is not None:
        raise RuntimeError(why)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                "--disable-gpu", f"--window-size={window[0]},{window[1]}",
                "--hide-scrollbars", "--force-device-scale-factor=1",
                "--disable-background-networking", "--disable-component-update",
                "--no-first-run", "--disable-sync"):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def screenshot(driver: webdriver.Chrome, page: str | Path, ready_css: str, *,
               count: int = 1, timeout: float = 60.0) -> np.ndarray:
    """Open `page` (a file path or URL), wait until `count` elements match `ready_css`, and
    return the window's screenshot as RGB (H, W, 3) uint8."""
    url = page if isinstance(page, str) and "://" in page else Path(page).resolve().as_uri()
    driver.get(url)
    WebDriverWait(driver, timeout).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, ready_css)) >= count)
    png = np.frombuffer(driver.get_screenshot_as_png(), np.uint8)
    bgr = cv2.imdecode(png, cv2.IMREAD_COLOR)
    return np.ascontiguousarray(bgr[:, :, ::-1])


def element_box(driver: webdriver.Chrome, css: str) -> tuple[int, int, int, int]:
    """(x, y, width, height) in screenshot pixels of the first element matching `css`."""
    rect = driver.find_element(By.CSS_SELECTOR, css).rect
    return (round(rect["x"]), round(rect["y"]), round(rect["width"]), round(rect["height"]))


def text(driver: webdriver.Chrome, css: str) -> str:
    """The first matching element's text, read in one call (a page that redraws its lists
    may replace an element between finding it and reading it)."""
    return str(driver.execute_script(
        "const e = document.querySelector(arguments[0]); return e ? e.innerText.trim() : '';",
        css))


def attribute(driver: webdriver.Chrome, css: str, name: str) -> str | None:
    """An attribute of the first element matching `css`, read in one call."""
    value = driver.execute_script(
        "const e = document.querySelector(arguments[0]);"
        "return e ? e.getAttribute(arguments[1]) : null;", css, name)
    return None if value is None else str(value)


@contextmanager
def console_browser() -> Iterator[webdriver.Chrome]:
    """The browser the console tests share (a laptop-sized window)."""
    with open_browser((1280, 1400)) as driver:
        yield driver
