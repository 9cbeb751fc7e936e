"""Progress of long runs on a terminal: `policyc check: parsing 1,234/3,000 files…`, updated
in place on stderr.  Nothing at all when stderr is not a terminal (CI, a pipe, a log file),
when CI is set or TERM=dumb (`runtime.terminal.draws_progress`), and nothing for a run short
enough not to need it."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Final, TextIO

from compiler.runtime.terminal import draws_progress

# Hears how far the long steps are: (what is being done, how many done, of how many, of what):
# `parsing 1,234/3,000 files`, `checking … policies` (a line on a terminal: TerminalProgress.step).
Steps = Callable[[str, int, int, str], None]


def quiet(doing: str, done: int, total: int, unit: str) -> None:
    """Steps that show nothing."""


# Fewer files than this parse in about a second: no progress line for them.
SHOWN_FROM: Final = 50
# At most this many updates a second: a terminal redrawn per file slows the run down.
_INTERVAL: Final = 0.1
# A step that has run this long shows for how long (`checking 0/3,000 policies, 6 s…`): a
# count that stands still for seconds (a batch of policies checked and lowered together
# before the first is generated) looked like a build that had hung.
_SECONDS_FROM: Final = 2.0


class TerminalProgress:
    """A `project.Progress` that draws one line in place; `done()` erases it.

    `doing` and `unit` name the work: `parsing … files` while loading, and for the build's
    long steps `generating … policies`, `writing … files` (`step` changes what is being done)."""

    def __init__(
        self,
        verb: str,
        stream: TextIO | None = None,
        *,
        doing: str = "parsing",
        unit: str = "files",
    ) -> None:
        self.verb = verb
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = draws_progress(self.stream)
        self.shown = False
        self.doing = doing
        self.unit = unit
        self._last = 0.0
        self._began = time.monotonic()  # of the step being shown
        self._drawn = ""

    def step(self, doing: str, done: int, total: int, unit: str | None = None) -> None:
        """A `build.Steps`: `done` of `total` of the step `doing` (counting `unit`, if
        another than before)."""
        if doing != self.doing or (unit is not None and unit != self.unit):
            self.doing = doing
            self.unit = unit or self.unit
            self._last = 0.0  # a new step is shown at once
            self._began = time.monotonic()
        self(done, total)

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total < SHOWN_FROM:
            return
        now = time.monotonic()
        if done != total and now - self._last < _INTERVAL:
            return
        self._last = now
        # Called again with the same count (a forked_map's poll, ten times a second), the line
        # is drawn again only when its seconds have changed.
        seconds = now - self._began
        took = f", {int(seconds)} s" if seconds >= _SECONDS_FROM else ""
        text = f"{self.verb}: {self.doing} {done:,}/{total:,} {self.unit}{took}…"
        if text == self._drawn and self.shown:
            return
        # Marked shown before it is drawn: Ctrl-C lands between two bytecodes, and one landing
        # just after the line was drawn (most likely: the flush waits on the terminal) left it
        # on the screen, `done` thinking there was nothing to erase.
        self.shown = True
        self._drawn = text
        # Cleared to the end: a shorter line must not leave the end of a longer one.
        self.stream.write(f"\r{text}\x1b[K")
        self.stream.flush()

    def done(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")  # back to the start of the line, cleared
            self.stream.flush()
            self.shown = False
