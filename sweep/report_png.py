"""PNG copies of the report's figures (``sweep report --png DIR``): kaleido 1.x driving a Chrome/Chromium.

kaleido finds its browser through ``BROWSER_PATH``; the browser is looked up here first, so a machine
without one gets a one-line error before anything is written (Debian: ``apt-get install chromium``).
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

from sweep.errors import UserError
from sweep.report_figures import HEIGHT, Section

#: Executables tried, in order, when ``BROWSER_PATH`` is not set.
BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
PNG_WIDTH = 1100


def find_browser() -> str:
    """The Chrome/Chromium kaleido will drive: ``BROWSER_PATH`` if set, else the first one on ``PATH``."""
    chosen = os.environ.get("BROWSER_PATH")
    if chosen:
        if not (Path(chosen).is_file() and os.access(chosen, os.X_OK)):
            raise UserError(f"--png: BROWSER_PATH={chosen} is not an executable Chrome/Chromium")
        return chosen
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise UserError("--png needs Chrome or Chromium for kaleido and none was found "
                    "(Debian: apt-get install chromium; or set BROWSER_PATH)")


def png_name(index: int, section: Section) -> str:
    return f"{index:02d}_{section.key}.png"


def write_pngs(sections: list[Section], folder: Path, browser: str) -> list[Path]:
    """Each drawn figure as ``NN_<key>.png`` in ``folder`` (one browser session for all of them)."""
    import plotly.io as pio

    drawn = [(i, s) for i, s in enumerate(sections, start=1) if s.figure is not None]
    paths = [folder / png_name(i, s) for i, s in drawn]
    os.environ["BROWSER_PATH"] = browser
    quiet = {name: logging.getLogger(name) for name in ("choreographer", "kaleido", "logistro")}
    levels = {name: logger.level for name, logger in quiet.items()}
    for logger in quiet.values():  # their warnings would be extra stderr lines; a failure becomes one error
        logger.setLevel(logging.CRITICAL)
    try:
        pio.write_images([s.figure for _, s in drawn], paths, format="png", width=PNG_WIDTH,
                         height=[int(s.figure.layout.height or HEIGHT) for _, s in drawn])
    except Exception as exc:  # kaleido / choreographer errors differ by version: one line is what the user needs
        raise UserError(f"--png: kaleido could not render the figures with {browser}: {_first_line(exc)}") from None
    finally:
        for name, logger in quiet.items():
            logger.setLevel(levels[name])
    return paths


def _first_line(exc: Exception) -> str:
    """The first line of an exception's message (choreographer passes a tuple of sentences)."""
    first = exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)
    return first.strip().splitlines()[0] if first.strip() else type(exc).__name__
