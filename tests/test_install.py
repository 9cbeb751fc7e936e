"""A normal (non-editable) install of policyc works: wheel -> fresh venv -> `policyc`.

The wheel is built with `pip wheel` from a temporary copy of the sources (so neither `build/`,
the project's output directory, nor `*.egg-info` appears in the checkout) and installed into a
fresh virtual environment with its dependencies from PyPI (pip's cache makes repeats fast).
The installed `policyc` then works on a copy of `policies/` outside the checkout, from a
working directory outside it, so only the installed package can answer.

The module takes some 30-60 s (one wheel, one venv); it runs in the normal suite and fails,
never skips, when the install fails.  `pytest -m "not slow"` leaves it out.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow

# What building the wheel reads: the project's metadata, its README and the package.
_SOURCES = ("pyproject.toml", "README.md", "compiler")
# Installed by the extras only (site, maintainer), never by `pip install policyc`.
_EXTRAS_ONLY = ("jinja2", "mkdocs", "mkdocs-material", "pymdown-extensions", "jieba")
_MAINTAINER_ONLY = ("chinesecalendar",)


@dataclass(frozen=True)
class Installed:
    venv: Path
    python: Path
    policyc: Path
    project: Path  # a copy of policies/, outside the checkout
    workdir: Path  # an empty working directory, outside the checkout


def _env() -> dict[str, str]:
    # The caller's environment (proxies, index settings, HOME for pip's cache), but nothing
    # that would let the checkout or the outer venv answer instead of the installed package.
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME"}}
    env.pop("VIRTUAL_ENV", None)
    env.update({"PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1", "LC_ALL": "C.UTF-8"})
    return env


def _call(
    argv: list[str | Path], cwd: Path, stdin: str | None = None, timeout: int = 600
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in argv],
        input=stdin, capture_output=True, text=True, encoding="utf-8", check=False,
        cwd=cwd, env=_env(), timeout=timeout,
    )  # fmt: skip


def _must(result: subprocess.CompletedProcess[str], what: str) -> None:
    assert result.returncode == 0, f"{what} failed ({result.returncode}):\n{result.stderr[-3000:]}"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    base = tmp_path_factory.mktemp("install")
    source = base / "source"
    source.mkdir()
    for name in _SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(path, source / name)

    wheels = base / "wheels"
    built = _call([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", wheels, "."], source)
    _must(built, "pip wheel")
    [wheel] = sorted(wheels.glob("policyc-*.whl"))

    venv = base / "venv"
    # Without pip of its own (ensurepip takes ~8 s of CPU): this pip installs into it.
    _must(_call([sys.executable, "-m", "venv", "--without-pip", venv], base), "python -m venv")
    python = venv / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", python]
    _must(_call([*pip, "install", "-q", wheel], base), "pip install the wheel")

    project = base / "project"
    shutil.copytree(ROOT / "policies", project / "policies")
    workdir = base / "work"
    workdir.mkdir()
    return Installed(venv, python, venv / "bin" / "policyc", project, workdir)


def _policyc(
    installed: Installed, *argv: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    result = _call(
        [installed.policyc, "--root", str(installed.project), *argv],
        installed.workdir, stdin=stdin, timeout=300,
    )  # fmt: skip
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    return result


def test_the_installed_package_is_the_one_that_runs(installed: Installed) -> None:
    where = _call(
        [installed.python, "-I", "-c", "import compiler; print(compiler.__file__)"],
        installed.workdir,
    )
    _must(where, "import compiler")
    assert Path(where.stdout.strip()).resolve().is_relative_to(installed.venv.resolve())


def test_only_the_compilers_dependencies_are_installed(installed: Installed) -> None:
    listing = _call(
        [installed.python, "-I", "-c", "import importlib.metadata as m, json; "
         "print(json.dumps(sorted(d.metadata['Name'].lower() for d in m.distributions())))"],
        installed.workdir,
    )  # fmt: skip
    _must(listing, "listing the distributions")
    names = set(json.loads(listing.stdout))
    assert {"policyc", "lark", "networkx"} <= names
    assert names.isdisjoint(_EXTRAS_ONLY + _MAINTAINER_ONLY)


def test_check(installed: Installed) -> None:
    result = _policyc(installed, "check")
    assert result.returncode == 0, result.stderr
    assert "file(s) clean" in result.stderr


def test_decide(installed: Installed) -> None:
    result = _policyc(
        installed, "decide", "ningbo", "--facts", "-", "--json", stdin='{"abused_power": true}'
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["policy"] == "ningbo"
    assert report["outcome"] == "excluded"


def test_build_writes_the_validators(installed: Installed) -> None:
    out = installed.project / "out"
    result = _policyc(installed, "build", "--out", str(out))
    assert result.returncode == 0, result.stderr
    package = out / "validators" / "policyc_validators"
    assert (package / "ningbo.py").is_file()
    assert (package / "runtime" / "timelimits.py").is_file()
    assert (package / "runtime" / "data" / "cn_workdays.json").is_file()
    assert list((out / "validators" / "dist").glob("policyc_validators-*.whl"))


def test_graph(installed: Installed) -> None:
    result = _policyc(installed, "graph", "ningbo")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ningbo: ")


def test_calendar_regeneration_asks_for_the_maintainer_extra(installed: Installed) -> None:
    result = _call([installed.python, "-m", "compiler.timelimits", "--check"], installed.workdir)
    assert result.returncode == 2
    assert "install policyc[maintainer]" in result.stderr
    assert "Traceback" not in result.stderr
