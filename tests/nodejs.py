"""Node.js for the tests that run the generated JavaScript (the questionnaire's rules, the due
date calculator, the runtime port's messages, the schema's number pattern): one place says
where `node` is and what its absence means.

Without `node` these tests skip, except where POLICYC_REQUIRE_NODE=1 (set by .ci/run, which
installs Debian's nodejs): there they run and fail, so that CI never passes with the
JavaScript untested.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

NODE = shutil.which("node")
REQUIRED = os.environ.get("POLICYC_REQUIRE_NODE") == "1"

needs_node = pytest.mark.skipif(
    NODE is None and not REQUIRED,
    reason="node (Node.js) is not installed: the generated JavaScript cannot run",
)


def run_json(folder: Path, script: str, asked: object, timeout: float = 600) -> Any:
    """Run `script` (a file in `folder`) with `asked` as JSON on its stdin; its stdout read as
    JSON.  A failure of the script fails the test with its stderr."""
    assert NODE is not None
    done = subprocess.run(
        [NODE, script],
        cwd=folder,
        input=json.dumps(asked, ensure_ascii=False),
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
