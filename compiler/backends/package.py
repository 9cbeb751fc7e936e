"""The generated validator package: `policyc_validators`, installable, standard library only.

Layout (under the build output's `validators/`):

    pyproject.toml  README.md
    policyc_validators/__init__.py   POLICIES: id -> the policy's tables, imported on first use
    policyc_validators/__main__.py   python -m policyc_validators validate --policy ID CASES
    policyc_validators/<id>.py       one module per policy (compiler/backends/python.py)
    policyc_validators/runtime/      compiler/runtime/, copied verbatim, with the calendar data
    policyc_validators/schemas/<id>.schema.json
    policyc_validators/sql/          the SQL backend's files (compiler/backends/sql.py)
    dist/policyc_validators-<version>-py3-none-any.whl   the same, ready for `pip install`
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from compiler import ir
from compiler.backends.pycode import Call, Prefixed, layout, string
from compiler.backends.python import module_source
from compiler.backends.sql import README as SQL_README
from compiler.backends.sql import (
    SqlUnsupported,
    Steps,
    json_file,
    policy_calendar_counts,
    policy_sql_files,
    project_sql_files,
)
from compiler.backends.wheel import Member, build_wheel, member, wheel_name
from compiler.runtime.records import record_schema
from compiler.runtime.timelimits import load_calendar

PACKAGE = "policyc_validators"
DISTRIBUTION = "policyc_validators"
RUNTIME = Path(__file__).resolve().parent.parent / "runtime"
# The step that makes each policy's module, record schema and SQL (in memory: the files are
# written afterwards, a step of their own).
STEP = "generating"


@dataclass(frozen=True)
class Stored:
    """A generated file kept on disk (the build cache, compiler/rebuild.py): the build links
    or copies it from `path` instead of holding its bytes, and the wheel takes its entry
    (size, CRC, SHA-256, deflate stream) from `member`."""

    path: str  # (a string: a build links thousands of them, and pathlib's joins cost)
    member: Member


# A generated file: its bytes, or where they are kept.
File = bytes | Stored


@dataclass(frozen=True)
class PolicyOutput:
    """Everything the build writes for one policy, made from that policy alone: its module,
    schema and SQL read only its scope (the shared vocabulary and its own file's
    declarations: E122), so they can be kept per policy and put together with the others'
    (`package_from`, `sql_from`)."""

    id: str
    title: str
    counts: tuple[int, ...]  # the working-day counts calendar.csv needs for its limits
    sql_error: str | None  # why the SQL target cannot compile it (then `files` has no SQL)
    files: Mapping[str, File]  # by path inside the package directory


def policy_output(program: ir.Program, policy: ir.Policy) -> PolicyOutput:
    """The module, schema and SQL files of one policy of `program` (in memory)."""
    files: dict[str, File] = {f"{PACKAGE}/{policy.id}.py": module_source(program, policy).encode()}
    specs = {name: program.input(name).spec() for name in policy.inputs}
    schema = record_schema(policy.id, policy.title, specs)
    files[f"{PACKAGE}/schemas/{policy.id}.schema.json"] = json_file(schema)
    sql_error = None
    try:
        for name, text in policy_sql_files(program, policy).items():
            files[f"{PACKAGE}/sql/{name}"] = text
    except SqlUnsupported as error:
        sql_error = str(error)
    counts = policy_calendar_counts(policy)
    return PolicyOutput(policy.id, policy.title, counts, sql_error, files)


def policy_outputs(program: ir.Program, steps: Steps | None = None) -> list[PolicyOutput]:
    """`policy_output` of every policy, in id order; `steps` hears of each."""
    ids = sorted(program.policies)
    made = []
    for done, policy_id in enumerate(ids, start=1):
        made.append(policy_output(program, program.policies[policy_id]))
        if steps is not None:
            steps(STEP, done, len(ids))
    return made


def package_files(program: ir.Program, steps: Steps | None = None) -> dict[str, bytes]:
    """Every file of the package, by path relative to the package directory, in a fixed order.
    `steps` hears how far the long step is (one policy's module, schema and SQL)."""
    files = package_from(policy_outputs(program, steps))
    made = {p: f for p, f in files.items() if isinstance(f, bytes)}
    assert len(made) == len(files)  # nothing of it was kept on disk
    return made


def sql_from(policies: Sequence[PolicyOutput], calendar: File | None = None) -> dict[str, File]:
    """Every file of build/sql/ (docs/sql.md, "Files"), by name; SqlUnsupported, saying why,
    for a project the SQL target cannot compile.  `calendar`: calendar.csv if already made
    (it takes seconds: compiler/rebuild.py keeps it)."""
    files: dict[str, File] = {}
    inside = f"{PACKAGE}/sql/"
    for policy in sorted(policies, key=lambda p: p.id):
        if policy.sql_error is not None:
            raise SqlUnsupported(policy.sql_error)
        for path, data in policy.files.items():
            if path.startswith(inside):
                files[path[len(inside) :]] = data
    if calendar is None:
        files |= project_sql_files(sorted({c for p in policies for c in p.counts}))
    else:
        files |= {"calendar.csv": calendar, "README.md": SQL_README.encode()}
    return dict(sorted(files.items()))


def package_from(policies: Sequence[PolicyOutput], calendar: File | None = None) -> dict[str, File]:
    """The package's files from its policies' outputs, with the files they share: the
    runtime, the registry, the README, the metadata and the wheel (`calendar`: sql_from)."""
    files: dict[str, File] = {}
    ids = sorted(p.id for p in policies)
    for policy in policies:
        files |= {p: f for p, f in policy.files.items() if not p.startswith(f"{PACKAGE}/sql/")}
    for source in sorted(RUNTIME.glob("*.py")):
        files[f"{PACKAGE}/runtime/{source.name}"] = source.read_bytes()
    for data in sorted((RUNTIME / "data").glob("*.json")):
        files[f"{PACKAGE}/runtime/data/{data.name}"] = data.read_bytes()
    # The SQL of every policy (docs/sql.md), for the DuckDB engine: no compiler needed.  A
    # project the SQL target cannot compile still gets its Python validators (`policyc build
    # --target sql` says why).
    try:
        for name, text in sql_from(policies, calendar).items():
            files[f"{PACKAGE}/sql/{name}"] = text
    except SqlUnsupported:
        pass
    # The version names the package's content: a file's path and its SHA-256 (a file kept on
    # disk is never read again for it).
    members = {path: _member(file) for path, file in sorted(files.items())}
    digest = hashlib.sha256()
    for path, entry in members.items():
        digest.update(path.encode() + b"\0" + entry.sha256)
    version = f"1.0.0+{digest.hexdigest()[:12]}"
    titles = {p.id: p.title for p in policies}
    files[f"{PACKAGE}/__init__.py"] = _init(ids, titles, version).encode()
    files[f"{PACKAGE}/__main__.py"] = MAIN.encode()
    files[f"{PACKAGE}/py.typed"] = b""
    files["pyproject.toml"] = PYPROJECT.format(version=version).encode()
    files["README.md"] = _readme(titles, ids).encode()
    inside = {
        p: members.get(p) or _member(d) for p, d in files.items() if p.startswith(f"{PACKAGE}/")
    }
    summary = "Validators of social-assistance case records, generated by policyc"
    wheel = build_wheel(DISTRIBUTION, version, summary, inside)
    files[f"dist/{wheel_name(DISTRIBUTION, version)}"] = wheel
    return dict(sorted(files.items()))


def _member(file: File) -> Member:
    return file.member if isinstance(file, Stored) else member(file)


def _init(ids: list[str], titles: Mapping[str, str], version: str) -> str:
    names = layout(Call("IDS: tuple[str, ...] = ", tuple(f'"{i}"' for i in ids), one_tuple=True), 0)
    # The titles too, so that `python -m policyc_validators policies` lists thousands of
    # policies without importing one (it took 75 s at 3,000 importing each module for its
    # title).  Policy text: written as escaped literals (pycode.string), never as code.
    entries = tuple(Prefixed(f'"{i}": ', string(titles[i])) for i in ids)
    titled = layout(Call("TITLES: dict[str, str] = ", entries, open="{", close="}"), 0)
    return f'''"""Validators generated by policyc: one module per policy, and a command line.

    python -m {PACKAGE} validate --policy ID CASES… [--format text|json|junit]

Each policy module offers `decide(facts)`, `due(limit, start)`, `check_record(record)`,
`evaluate(record)` (both, the facts typed once) and `SCHEMA`; `POLICIES` maps each policy id
to its tables.  Standard library only.

Importing the package imports no policy: a policy's module is imported the first time it is
asked for (`POLICIES["ningbo"]`, `from {PACKAGE} import ningbo`), so a program that
validates one policy never pays for the others.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from types import ModuleType

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from .runtime.policy import PolicyInfo

__version__ = "{version}"

{names}

{titled}


class _Policies(Mapping[str, "PolicyInfo"]):
    """Each policy id to its tables; the ids are known without importing any policy, and a
    policy's module is imported on its first access."""

    def __getitem__(self, policy_id: str) -> PolicyInfo:
        if policy_id not in IDS:
            raise KeyError(policy_id)
        info: PolicyInfo = importlib.import_module(f".{{policy_id}}", __name__).POLICY
        return info

    def __contains__(self, policy_id: object) -> bool:
        return policy_id in IDS

    def __iter__(self) -> Iterator[str]:
        return iter(IDS)

    def __len__(self) -> int:
        return len(IDS)

    def __repr__(self) -> str:
        return f"<{{__name__}}.POLICIES: {{', '.join(IDS)}}>"

    def titles(self) -> Mapping[str, str]:
        """Each policy id to its title, without importing any policy."""
        return TITLES


POLICIES: Mapping[str, PolicyInfo] = _Policies()


def __getattr__(name: str) -> ModuleType:
    """`{PACKAGE}.ningbo` imports the policy's module when first used."""
    if name in IDS:
        return importlib.import_module(f".{{name}}", __name__)
    raise AttributeError(f"module {{__name__!r}} has no attribute {{name!r}}")


def __dir__() -> list[str]:
    return sorted([*globals(), *IDS])


__all__ = ["IDS", "POLICIES", "TITLES", "__version__"]
'''


MAIN = f'''"""`python -m {PACKAGE}`: validate case records, decide, due dates, schemas."""

from __future__ import annotations

import sys

from . import POLICIES
from .runtime.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], POLICIES, "python -m {PACKAGE}"))
'''

PYPROJECT = """[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "policyc-validators"
version = "{version}"
description = "Validators of social-assistance case records, generated by policyc"
requires-python = ">=3.11"
dependencies = []

[project.optional-dependencies]
# validate --engine duckdb (runtime/sqlengine.py): the policies' SQL in DuckDB.
duckdb = ["duckdb>=1.3"]

[tool.setuptools]
packages = ["policyc_validators", "policyc_validators.runtime"]

[tool.setuptools.package-data]
policyc_validators = ["py.typed", "schemas/*.json", "runtime/data/*.json", "sql/*"]
"""


def _readme(titles: Mapping[str, str], ids: list[str]) -> str:
    calendar = load_calendar()
    rows = "\n".join(f"| `{pid}` | {titles[pid]} |" for pid in ids)
    return f"""# policyc-validators

Generated by `policyc build` from the transcribed policies; do not edit. Standard library only.

| policy | document |
| --- | --- |
{rows}

```sh
pip install dist/*.whl        # offline; or `pip install .` (fetches setuptools to build)
python -m {PACKAGE} validate --policy ningbo cases.jsonl --format junit > report.xml
zcat cases.jsonl.gz | python -m {PACKAGE} validate --policy ningbo --input-format jsonl -
python -m {PACKAGE} decide --policy ningbo --facts facts.json
python -m {PACKAGE} due --policy taierzhuang 二（三） --start 2024-09-27
python -m {PACKAGE} schema --policy yuquan
```

Case records are JSON (an object or an array of objects), JSONL or CSV, UTF-8 with or without
BOM: one field per fact (see the schema), plus an optional `id`. Each file's suffix gives its
format; `--input-format` gives it for every input instead, and is needed for `-` (standard
input, whose records are named `<stdin>:LINE`) and for names without one.

`validate` streams: JSONL and CSV are read one record at a time, and a JSON array one item at
a time (a JSON file holding one object is that record), each record is checked and its part of
the report written at once, and the summary is tallied as it goes, so memory stays flat however
many records there are. The report reaches stdout only when every record has been read and
checked (until then it waits in memory, or beyond a megabyte in an anonymous temporary file
under `TMPDIR`): a malformed record, even the millionth, leaves stdout empty. On a terminal,
stderr shows the records done and the records per second; in CI (stderr not a terminal) it
stays quiet. `import {PACKAGE}` imports no policy: a policy's module is imported when first
asked for (`POLICIES["ningbo"]`, `from {PACKAGE} import ningbo`).

Exit codes: 0 every record passes; 1 findings; 2 bad input (a malformed record is named with
its field; nothing is written to stdout); 3 an internal error, out of memory included (never 1:
a crash is not findings); 130 interrupted; 141 stdout closed by its reader.

Time limits count from the day after the start (the start day is not counted); a limit in
days, months or years whose last day falls on a 法定休假日 (a holiday, or a Saturday or Sunday
that is not an adjusted working day) ends on the next working day (民法典 第二百零三条) unless it
states why not, and `due` shows the day the count reached. 工作日 follow
China's official holiday and adjusted-workday calendar, which covers the years
{calendar.first_year}–{calendar.last_year}. For the years after, up to
{max(calendar.provisional_years, default=calendar.last_year)}, only the statutory holidays are
known: a due date there is marked `provisional`, with the earliest and latest date the coming
schedule can give, and a record check it cannot settle is `undetermined`, naming the year. A date
outside every table is an error, never a guess. When the State Council publishes a new year's
schedule, pass it as a small JSON file with `--calendar FILE` (the format is described in
`policyc_validators/runtime/timelimits.py`): the results become final.
"""
