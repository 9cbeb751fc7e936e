"""Node.js for the tests that run the generated JavaScript (the questionnaire's rules, the due
date calculator, the runtime port's messages, the schema's number pattern): one place says
where `node` is and what its absence means.

Without `node` these tests skip, except where POLICYC_REQUIRE_NODE=1 (set by .ci/run, which
installs Debian's nodejs): there they run and fail, so that CI never passes with the
JavaScript untested.
"""

from __future__ import annotations

import os
import shutil

import pytest

NODE = shutil.which("node")
REQUIRED = os.environ.get("POLICYC_REQUIRE_NODE") == "1"

needs_node = pytest.mark.skipif(
    NODE is None and not REQUIRED,
    reason="node (Node.js) is not installed: the generated JavaScript cannot run",
)
