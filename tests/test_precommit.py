"""The pre-commit hooks a repository of policy files can use run commands that exist."""

from __future__ import annotations

import shlex
from pathlib import Path

import yaml

from compiler.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent


def test_every_hook_runs_a_policyc_verb() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    verbs = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert hooks
    for hook in hooks:
        program, verb, *_ = shlex.split(hook["entry"])
        assert program == "policyc" and verb in verbs, hook
        assert hook["language"] == "python" and hook["pass_filenames"] is False


def test_a_hook_checks_the_canonical_layout() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    fmt = [hook for hook in hooks if hook["id"] == "policyc-fmt"]
    assert fmt and shlex.split(fmt[0]["entry"]) == ["policyc", "fmt", "--check"]
