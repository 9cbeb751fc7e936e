"""Whether a progress line may be drawn: one rule for policyc's own progress
(compiler/progress.py) and the generated validators' (runtime/cli.py)."""

from __future__ import annotations

import os
from typing import TextIO


def draws_progress(stream: TextIO) -> bool:
    """Whether a line may be redrawn in place on `stream`: a terminal that is not a CI job's
    (CI set: its log keeps every `\\r`) and understands `\\r` and erase-line (not TERM=dumb)."""
    try:
        terminal = stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed or replaced stream
        return False
    return terminal and not os.environ.get("CI") and os.environ.get("TERM") != "dumb"
