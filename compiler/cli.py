"""`policyc`: the command line.

Exit codes: 0 clean, 1 the policies have errors (or tests fail, or coverage is incomplete),
2 usage or input/output errors.  Bad input never shows a Python traceback; an internal error
says so in one line (set POLICYC_DEBUG=1 for the traceback).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

# Only what every verb needs is imported here: `check`, `decide`, `due` and `validate` start
# without the rule graph (networkx), the code generator or the example finder.  Each verb
# imports the rest itself (tests/test_startup.py, benchmarks/startup.py).
from compiler import codes, ir
from compiler import nodes as n
from compiler.check import check
from compiler.diagnostics import Diagnostic, render_all, skipped, stopped_at_syntax, to_json
from compiler.errors import PolicycError
from compiler.lower import lower
from compiler.model import ClauseError, Model
from compiler.project import (
    JobsError,
    ProjectNotFound,
    WorkerLost,
    cores,
    display_path,
    find_root,
    load,
    policy_files,
)
from compiler.runtime import jsontext
from compiler.runtime import report as runtime_report
from compiler.runtime.exits import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, guarded
from compiler.runtime.records import INPUT_FORMATS
from compiler.runtime.values import cut

if TYPE_CHECKING:
    from compiler.cache import ParseCache
    from compiler.coverage import PolicyCoverage
    from compiler.progress import TerminalProgress
    from compiler.rebuild import Made
    from compiler.sources import Clause


class UsageError(PolicycError):
    """A problem with how policyc was called or with a file it was given: exit 2."""


def _print(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def _load_model(
    args: argparse.Namespace, paths: Sequence[Path] = ()
) -> tuple[Model, list[Diagnostic], set[str]]:
    root = find_root(Path(args.root) if args.root else None)
    # `check` and `build` (the verbs here with --no-cache: `site` and `serve` tell the site's
    # hook) read parse results from the project's content-keyed cache and show progress on a
    # terminal (compiler/cache.py, progress.py).
    if getattr(args, "cache", None) is None:
        loaded = load(root, paths)
        model, diagnostics = check(loaded)
    else:
        cache = None
        if args.cache:
            from compiler.cache import open_cache

            cache = open_cache(root)
        progress = _progress_line(args)
        try:
            loaded = load(root, paths, cache=cache, progress=progress)
            model, diagnostics = check(loaded, progress.step)
        finally:
            progress.done()
    return model, diagnostics, loaded.requested


def _progress_line(args: argparse.Namespace) -> TerminalProgress:
    from compiler.progress import TerminalProgress

    return TerminalProgress(f"policyc {args.verb}")


def _lowered(args: argparse.Namespace, model: Model, root: Path) -> ir.Program:
    """`model` lowered, with a line on a terminal for the verbs that show progress (those
    with --no-cache): 15 s at province scale."""
    if getattr(args, "cache", None) is None:
        return lower(model, root)
    progress = _progress_line(args)
    try:
        return lower(model, root, steps=progress.step)
    finally:
        progress.done()


def _load_program(
    args: argparse.Namespace, summary: Callable[[list[Diagnostic]], str] | None = None
) -> ir.Program:
    """The lowered program of the whole project; the diagnostics and exit 1 if it has errors
    (`_require_clean`)."""
    model, diagnostics, _ = _load_model(args)
    _require_clean(diagnostics, args.verb, summary)
    return _lowered(args, model, _root(args))


def _reported(diagnostics: list[Diagnostic], requested: set[str]) -> list[Diagnostic]:
    """What `check` reports of the files it was asked about (PATHS).  Where checking stopped
    at a syntax error (`diagnostics.syntax_stage`), every file's input and syntax errors: one
    in a file not asked about (the shared vocabulary, a policy whose tests were asked about)
    kept the files asked about from being checked."""
    if stopped_at_syntax(diagnostics):
        return list(diagnostics)
    return [d for d in diagnostics if d.span is None or d.span.file in requested]


def _policy(program: ir.Program, policy_id: str) -> ir.Policy:
    policy = program.policies.get(policy_id)
    if policy is None:
        raise UsageError(_no_policy(program, f"no policy '{cut(policy_id)}'", policy_id))
    return policy


def _no_policy(program: ir.Program, said: str, typed: str | None = None, hint: str = "") -> str:
    """`said` (`no policy 'x'`) and what there is: with a few policies, all of them (as ever);
    at province scale, where that was a line of thousands of ids, the ids close to `typed` and
    how many there are (the validators' command line says it alike: runtime/cli.py)."""
    from compiler.runtime.cli import LISTED_AT_MOST, close_ids

    known = sorted(program.policies)
    if len(known) <= LISTED_AT_MOST:
        return f"{said}; {hint + ' ' if hint else ''}policies: {', '.join(known)}"
    close = close_ids(typed, known)[0] if typed is not None else []
    mean = f"did you mean {', '.join(repr(c) for c in close)}? " if close else ""
    return f"{said}; {mean}{len(known):,} policies, one a file in policies/ (named by its id)"


def _root(args: argparse.Namespace) -> Path:
    return find_root(Path(args.root) if args.root else None)


def _require_clean(
    diagnostics: list[Diagnostic],
    verb: str,
    summary: Callable[[list[Diagnostic]], str] | None = None,
) -> None:
    """Nothing if there are no errors; else the errors on stderr, the line saying the other
    checks were skipped where checking stopped at a syntax error, `summary` of the errors as
    the last line (`policyc VERB: …`), and exit 1."""
    errors = [d for d in diagnostics if d.severity == "error"]
    if not errors:
        return
    sys.stderr.write(render_all(errors) + "\n")
    if stopped_at_syntax(errors):
        sys.stderr.write(f"policyc {verb}: {skipped(errors)}\n")
    if summary is not None:
        sys.stderr.write(f"policyc {verb}: {summary(errors)}\n")
    raise SystemExit(EXIT_FINDINGS)


# ---------------------------------------------------------------- verbs


def cmd_check(args: argparse.Namespace) -> int:
    paths = [Path(p) for p in args.paths]
    checked = _check_incrementally(args, paths)
    if checked is not None:
        diagnostics, requested = checked
    else:
        diagnostics, requested = _check_everything(args, paths)
    return _report_check(args, diagnostics, requested)


def _check_incrementally(
    args: argparse.Namespace, paths: Sequence[Path]
) -> tuple[list[Diagnostic], set[str]] | None:
    """The whole project through the cache, re-checking only the policies an edit touched
    (compiler/incremental.py), reporting on PATHS (default: everything); None without a cache
    or where it does not apply: files from outside policies/ are checked against the shared
    vocabulary alone (project.load), and a path that names nothing is an error there."""
    if not args.cache:
        return None
    from compiler.incremental import check_project
    from compiler.progress import TerminalProgress

    root = _root(args)
    requested: set[str] | None = None
    if paths:
        explicit, errors = policy_files(root, paths)
        policies = (root / "policies").resolve()
        if errors or not all(policies in p.parents for p in explicit):
            return None
        requested = {display_path(p, root) for p in explicit}
    cache = _open_cache(args, root)
    if cache is None:
        return None
    progress = TerminalProgress("policyc check")
    try:
        checked = check_project(root, cache, progress.step)
    finally:
        progress.done()
    if checked is None:
        return None
    return checked[0], checked[1] if requested is None else requested


def _check_everything(
    args: argparse.Namespace, paths: Sequence[Path]
) -> tuple[list[Diagnostic], set[str]]:
    model, diagnostics, requested = _load_model(args, paths)
    if not any(d.severity == "error" for d in diagnostics):
        # Within one document, rules that can hold at once with no stated precedence (W501):
        # a warning, on a model that checks.
        from compiler.conflicts.internal import diagnostics as internal_conflicts

        root = _root(args)
        diagnostics = [*diagnostics, *internal_conflicts(_lowered(args, model, root), root)]
    return diagnostics, requested


def _report_check(
    args: argparse.Namespace, diagnostics: list[Diagnostic], requested: set[str]
) -> int:
    shown = _reported(diagnostics, requested)
    # A path named on the command line that names no policy file is a usage error (E007); a
    # file that was found and could not be read stops the check as a syntax error does (E000,
    # exit 1).
    usage = any(d.code is codes.E007 for d in shown) and not stopped_at_syntax(shown)
    if usage and not any(d.span for d in shown):
        sys.stderr.write(render_all(shown) + "\n")
        return EXIT_USAGE
    errors = [d for d in shown if d.severity == "error"]
    if args.json:
        _print(to_json(shown))
    elif shown:
        sys.stderr.write(render_all(shown) + "\n")
    if not args.json:
        if stopped_at_syntax(shown):
            sys.stderr.write(f"policyc check: {skipped(shown)}\n")
        # The files asked about, and any other whose syntax errors are reported.
        files = len(requested | {d.span.file for d in shown if d.span is not None})
        summary = (
            f"{len(errors):,} error(s) in {files:,} file(s)"
            if errors
            else f"{files:,} file(s) clean"
        )
        warnings = len(shown) - len(errors)
        if warnings:
            summary += f", {warnings:,} warning(s)"
        sys.stderr.write(f"policyc check: {summary}\n")
    return EXIT_FINDINGS if errors else EXIT_OK


def cmd_coverage(args: argparse.Namespace) -> int:
    from compiler.coverage import project_coverage

    program = _load_program(args)
    reports = [r for r in project_coverage(program) if not args.policy or r.policy in args.policy]
    _known_policies(program, args.policy)
    if args.json:
        _print(json.dumps([_coverage_json(r) for r in reports], ensure_ascii=False, indent=2))
    else:
        _print("\n".join(_coverage_table(r) for r in reports))
    return EXIT_OK if all(r.covered == r.total for r in reports) else EXIT_FINDINGS


def _coverage_json(report: PolicyCoverage) -> dict[str, Any]:
    return {
        "policy": report.policy,
        "covered": report.covered,
        "total": report.total,
        "percent": round(report.percent, 1),
        "clauses": [
            {
                "clause": c.clause.citation,
                "line": c.clause.line,
                "status": c.status,
                "by": list(c.by),
            }
            for c in report.clauses
        ],
    }


_COVERAGE_MARKS = {
    "cited": "✓",
    "informative": "·",
    "heading": "·",
    "pending": "…",
    "uncovered": "✗",
}


def _coverage_table(report: PolicyCoverage) -> str:
    lines = [
        f"{report.policy}: {report.covered}/{report.total} clauses covered ({report.percent:.1f}%)"
    ]
    width = max((len(c.clause.citation) for c in report.clauses), default=4)
    for entry in report.clauses:
        mark = _COVERAGE_MARKS[entry.status]
        by = ", ".join(entry.by)
        depth = len(entry.clause.path) - 1
        name = ("  " * depth + entry.clause.citation).ljust(width + 2 * depth + 2)
        lines.append(f"  {mark} {name} {entry.status:<11} {by}")
    return "\n".join(lines) + "\n"


def cmd_test(args: argparse.Namespace) -> int:
    from compiler.policytests import run_all

    program = _load_program(args) if not args.cases else _program_with_cases(args)
    _known_policies(program, args.policy)  # `policyc test nosuch` ran nothing and exited 0
    calendar = _calendar(args)
    results = run_all(program, calendar, set(args.policy) if args.policy else None)
    failed = [r for r in results if not r.passed]
    if args.json:
        _print(
            json.dumps(
                [
                    {
                        "policy": r.policy,
                        "case": r.case.name,
                        "label": r.case.label,
                        "passed": r.passed,
                        "failures": list(r.failures),
                    }
                    for r in results
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        for result in failed:
            _print(
                f"FAIL {result.policy}.{result.case.name} ({result.case.span}) {result.case.label}"
            )
            for failure in result.failures:
                _print(f"     {failure}")
        by_policy: dict[str, int] = {}
        for result in results:
            by_policy[result.policy] = by_policy.get(result.policy, 0) + 1
        counts = ", ".join(f"{p} {c}" for p, c in sorted(by_policy.items()))
        _print(
            f"{len(results) - len(failed):,} passed, {len(failed):,} failed"
            + (f"  ({counts})" if counts else "")
        )
    return EXIT_FINDINGS if failed else EXIT_OK


def _program_with_cases(args: argparse.Namespace) -> ir.Program:
    """The project with the policy tests of extra directories (`policyc test --cases DIR`,
    e.g. what `policyc conflicts --emit-tests` wrote), checked with the whole project."""
    root = _root(args)
    extra = [Path(d) for d in args.cases]
    for directory in extra:
        if not directory.is_dir():
            raise UsageError(f"--cases {directory}: not a directory")
    model, diagnostics, _ = _load_model(args, [root / "policies", *extra])
    _require_clean(diagnostics, args.verb)
    return lower(model, root)


def cmd_new(args: argparse.Namespace) -> int:
    from compiler.skeleton import SkeletonError, write_skeleton

    root = find_root(Path(args.root) if args.root else None)
    try:
        skeleton = write_skeleton(root, Path(args.source), args.id, force=args.force)
    except SkeletonError as error:
        raise UsageError(str(error)) from None
    sys.stderr.write(
        f"policyc new: wrote {_relative(skeleton.policy_file, root)} with "
        f"{skeleton.clauses} pending clause(s) from {_relative(skeleton.source, root)}\n"
        "next: fill in the header, then replace each 'pending' with rules; "
        f"'policyc coverage {skeleton.policy_id}' shows what is left\n"
    )
    return EXIT_OK


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def cmd_fmt(args: argparse.Namespace) -> int:
    from compiler import fmt

    return fmt.run(_root(args), [Path(p) for p in args.paths], check=args.check, diff=args.diff)


def cmd_dump(args: argparse.Namespace) -> int:
    from compiler.parser import parse_file

    if args.ir:
        return _dump_ir(args)
    if args.path is None:
        raise UsageError("dump needs a policy file (or --ir, for the lowered model)")
    path = Path(args.path)
    if not path.is_file():
        what = "not a file" if path.exists() else "no such file"
        raise UsageError(f"{what}: {path}")
    module, diagnostics = parse_file(path)
    if module is None or diagnostics:
        sys.stderr.write(render_all(diagnostics) + "\n")
        return EXIT_FINDINGS
    if args.json:
        _print(json.dumps(to_plain(module), ensure_ascii=False, indent=2))
    else:
        _print(format_module(module))
    return EXIT_OK


def _dump_ir(args: argparse.Namespace) -> int:
    """The lowered model of one policy (by id, or by its file) or of all of them."""
    program = _load_program(args)
    chosen = tuple(sorted(program.policies))
    if args.path is not None:
        root = _root(args)
        by_file = {(root / p.file).resolve(): p.id for p in program.policies.values()}
        named = Path(args.path).resolve()
        chosen = (by_file[named] if named in by_file else _policy(program, args.path).id,)
    if args.json:
        plain = {pid: ir.to_plain(program.policies[pid]) for pid in chosen}
        _print(json.dumps(plain, ensure_ascii=False, indent=2, sort_keys=True))
    else:
        _print(ir.format_program(program, chosen))
    return EXIT_OK


def cmd_decide(args: argparse.Namespace) -> int:
    from compiler.interpret import FactError, decide, explain
    from compiler.runtime.values import coerce_all

    program = _load_program(args)
    policy = _policy(program, args.policy)
    raw = _read_json(args.facts)
    if not isinstance(raw, dict):
        raise UsageError('the facts must be a JSON object: {"fact_name": value, …}')
    try:
        # The facts this policy reads, and no others: the rule of the generated package's
        # `decide` and of the site's questionnaire.
        facts = coerce_all({name: program.input(name).spec() for name in policy.inputs}, raw)
    except FactError as error:
        raise UsageError(f"{args.facts}: {error} (policy {policy.id})") from None
    report = explain(program, decide(program, policy, facts))
    report["version"] = dict(policy.version)  # the audit trail
    if args.json:
        _print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        _print(f"{policy.id}: {report['outcome']}")
        for rule in report["decided_by"]:
            _print(f"  {rule['kind']} {rule['rule']} ({rule['clause']}): {rule['quote']}")
        if report["grants"]:
            # Relief that names what it excuses grants for those liabilities only.
            only = " (for the liabilities below only)" if report["exempts"] else ""
            _print(f"  grants: {', '.join(report['grants'])}{only}")
        if report["exempts"]:
            # Relief tied to the failings it excuses (玉泉 第二十条): say which, and which not.
            _print("  relief covers only these liabilities:")
            for liability in report["exempts"]:
                _print(f"    {_liability_line(liability)}")
        if report["not_exempted"]:
            _print("  not exempted (they hold; no situation that holds excuses them):")
            for liability in report["not_exempted"]:
                _print(f"    {_liability_line(liability)}")
        for pending in report["pending_grants"]:
            needs = ", ".join(pending["needs"])
            where = f"{pending['outcome']} ({pending['clause']})"
            _print(f"  pending {pending['grant']}: {where}, its condition needs {needs}")
        if report["missing"]:
            _print(f"  facts still needed: {', '.join(report['missing'])}")
        for judgment in report["judgments"]:
            refers = f" ({judgment['refers']})" if judgment["refers"] else ""
            _print(f"  needs human judgment: {judgment['label']}{refers}")
    return EXIT_OK


def _liability_line(liability: Mapping[str, Any]) -> str:
    """One liability of `exempts` / `not_exempted` in words: name, clause, status, quote."""
    match liability["holds"]:
        case True:
            holds = "holds"
        case False:
            holds = "does not hold"
        case _:
            holds = "not established"
    return f"{liability['rule']} ({liability['clause']}, {holds}): {liability['quote']}"


def cmd_example(args: argparse.Namespace) -> int:
    from compiler.examples import examples_at, examples_json, format_examples

    program = _load_program(args)
    policy = _policy(program, args.policy)
    try:
        result = examples_at(program, policy, args.clause)
    except ClauseError as error:
        raise UsageError(str(error)) from None
    if args.json:
        _print(json.dumps(examples_json(program, result), ensure_ascii=False, indent=2))
    else:
        _print(format_examples(program, result))
    return EXIT_OK if result.complete else EXIT_FINDINGS


def cmd_due(args: argparse.Namespace) -> int:
    from compiler.interpret import info
    from compiler.runtime import cli as runtime_cli

    program = _load_program(args)
    policy = _policy(program, args.policy)
    try:
        start = runtime_cli.parse_start(args.start)
    except runtime_cli.InputError as error:
        raise UsageError(str(error)) from None
    # The clause as the document numbers it; then the runtime picks its limits, as the
    # generated validators' `due` does, and says why none answers in the same words.
    tables = info(program, policy)
    try:
        clause = policy.resolve_clause(args.clause)
    except ClauseError as error:
        if not error.candidates:
            raise UsageError(str(error)) from None
        message = runtime_cli.no_limit_message(tables, args.clause, error.candidates)
        raise UsageError(message) from None
    limits = runtime_cli.limits_of_clause(tables, clause.citation)
    if not limits:
        raise UsageError(runtime_cli.no_limit_message(tables, clause.citation, ()))
    try:
        report = runtime_cli.due_json(tables, limits, start, _calendar(args))
    except runtime_cli.InputError as error:
        raise UsageError(str(error)) from None
    if args.json:
        _print(json.dumps(report, ensure_ascii=False, indent=2, sort_keys=True))
        return EXIT_OK
    for entry in report["limits"]:  # type: ignore[attr-defined]
        extended = entry.get("extended")
        more = (
            f"; extended {extended['count']} {extended['unit']}: "
            f"{_shown_due(extended['due'], extended.get('provisional'))}"
            + (f" ({extended['note']})" if extended.get("note") else "")
            if extended
            else ""
        )
        notes = [entry["note"]] if entry.get("note") else []
        if entry.get("no_rollover"):
            notes.append(f"not moved off a 法定休假日: {entry['no_rollover']}")
        note = f" ({'; '.join(notes)})" if notes else ""
        due = _shown_due(entry["due"], entry.get("provisional"))
        _print(
            f"{entry['limit']} [{entry['clause']}] {entry['count']} {entry['unit']} "
            f"from {report['start']}: {due}{note}{more}"
        )
        for provisional in (entry.get("provisional"), (extended or {}).get("provisional")):
            if provisional:
                _print(f"  {provisional['reason']}")
    return EXIT_OK


def _shown_due(due: str | None, provisional: dict[str, Any] | None) -> str:
    """The due date as `due` prints it: a provisional one carries the mark and its bounds."""
    if due is None:
        return "—"
    if not provisional:
        return due
    return f"{due} PROVISIONAL ({provisional['earliest']}..{provisional['latest']})"


def _clause(policy: ir.Policy, text: str) -> Clause:
    try:
        return policy.resolve_clause(text)
    except ClauseError as error:
        raise UsageError(str(error)) from None


def cmd_validate(args: argparse.Namespace) -> int:
    from compiler.interpret import info
    from compiler.runtime import cli as runtime_cli

    program = _load_program(args)
    policy = _policy(program, args.policy)
    fmt = "json" if args.json else args.format
    # Streams: one record at a time, the report written once every record is checked.
    progress = runtime_cli.Progress.on_terminal(sys.stderr, "policyc validate")
    try:
        return runtime_cli.validate_into(
            sys.stdout,
            info(program, policy),
            args.cases,
            fmt,
            _calendar(args),
            progress,
            input_format=args.input_format,
        )
    except runtime_cli.InputError as error:
        raise UsageError(str(error)) from None


def cmd_build(args: argparse.Namespace) -> int:
    from compiler.backends.sql import SqlUnsupported
    from compiler.build import OutputRefused, assemble, build, check_target, write_build

    root = _root(args)
    target = Path(args.out) if args.out else root / "build"
    try:
        check_target(target)
    except OutputRefused as error:
        raise UsageError(f"build refused: {error}") from None
    except OSError as error:
        raise UsageError(f"cannot write {target}: {error.strerror or error}") from None
    _folder_can_be_made(target)
    from compiler.progress import TerminalProgress

    # The validators step of thousands of policies takes minutes: a line in place on a
    # terminal (nothing in CI or a pipe), erased before each message.
    line = TerminalProgress("policyc build", unit="policies")

    def progress(message: str) -> None:
        line.done()
        sys.stderr.write(f"policyc build: {message}\n")

    failed = _build_failed(root, target)
    try:
        made = _made_through_cache(args, root, line, failed)
        if made is None:
            program = _load_program(args, failed)
            count = build(program, target, progress, args.target, line.step, line.step)
        else:
            files = assemble(made.policies, progress, args.target, made.calendar)
            count = write_build(target, files, args.target, line.step)
    except OutputRefused as error:
        raise UsageError(f"build refused: {error}") from None
    except SqlUnsupported as error:
        raise UsageError(f"the SQL target: {error} (--target python builds the rest)") from None
    except OSError as error:
        raise UsageError(f"cannot write {target}: {error.strerror or error}") from None
    finally:
        line.done()
    if args.json:
        _print(json.dumps({"output": str(target), "files": count}, ensure_ascii=False))
    else:
        progress(f"wrote {count:,} file(s) to {target}")
    return EXIT_OK


def _folder_can_be_made(target: Path) -> None:
    """UsageError unless a folder can be made where the build will write `target`.

    build.write_tree makes the output in a new folder beside `target` (beside the folder it
    links to) and swaps it in, making the folders above first: so the nearest folder above
    that exists must take a new one.  Checked before the build begins: `--out /proc/x` or
    `--out FILE/x` printed each step of the build, then "cannot write" ("File exists")."""
    import os
    import tempfile

    above = Path(os.path.realpath(target)).parent
    while not os.path.lexists(above) and above.parent != above:
        above = above.parent
    # A probe, removed at once: a build that its check then stops has written nothing.
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".policyc-probe-", dir=above))
    except OSError as error:
        reason = error.strerror or str(error)
        raise UsageError(
            f"cannot write {target}: no folder can be made in {above}: {reason}"
        ) from None


def _build_failed(root: Path, target: Path) -> Callable[[list[Diagnostic]], str]:
    """The last line of a build that the check's errors stopped, in the style of `check`'s:
    the errors, the files, and that the build directory is as it was (the check runs before
    anything is written there: compiler/build.py writes only a complete build)."""

    def summary(errors: list[Diagnostic]) -> str:
        files = {display_path(p, root) for p in policy_files(root)[0]}
        files |= {d.span.file for d in errors if d.span is not None}
        try:
            previous = target.is_dir() and any(target.iterdir())
        except OSError:
            previous = False
        kept = ": the previous output there was kept" if previous else ""
        counted = f"{len(errors):,} error(s) in {len(files):,} file(s)"
        return f"{counted}; nothing was written to {target}{kept}"

    return summary


def _open_cache(args: argparse.Namespace, root: Path) -> ParseCache | None:
    """The project's cache (compiler/cache.py); None with --no-cache or where it cannot be
    used safely."""
    if not args.cache:
        return None
    from compiler.cache import open_cache

    return open_cache(root)


def _made_through_cache(
    args: argparse.Namespace,
    root: Path,
    line: TerminalProgress,
    summary: Callable[[list[Diagnostic]], str],
) -> Made | None:
    """Every policy's output through the cache (compiler/rebuild.py): only the policies an
    edit touched are made again; None without a cache or where the whole check is needed.
    The check's errors exit 1 with `summary`, as the whole build's do."""
    from compiler.rebuild import policy_outputs

    cache = _open_cache(args, root)
    if cache is None:
        return None
    try:
        made = policy_outputs(root, cache, line.step)
    finally:
        line.done()
    if made is None:
        return None
    _require_clean(made.diagnostics, args.verb, summary)
    return made


def cmd_site(args: argparse.Namespace) -> int:
    import time

    from compiler.backends.site.build import SiteFailed, SiteUnavailable, build_site
    from compiler.build import OutputRefused

    root = _root(args)
    target = Path(args.out) if args.out else root / "build" / "site"
    started = time.perf_counter()
    line = _progress_line(args)
    try:
        try:
            count = build_site(root, target, line.step, cached=args.cache)
        finally:
            line.done()
    except SiteFailed as error:
        reason = str(error).rstrip(".!")
        sys.stderr.write(f"policyc site: {reason}; the previous site was left as it was\n")
        return EXIT_FINDINGS
    except SiteUnavailable as error:
        raise UsageError(str(error)) from None
    except OutputRefused as error:
        raise UsageError(f"site refused: {error}") from None
    except OSError as error:
        raise UsageError(f"cannot write {target}: {error.strerror or error}") from None
    seconds = time.perf_counter() - started
    sys.stderr.write(f"policyc site: wrote {count:,} file(s) to {target} in {seconds:.1f} s\n")
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    from compiler.backends.site.build import SiteUnavailable, serve

    if not 0 < args.port < 65536:
        raise UsageError(f"--port must be between 1 and 65535, not {args.port}")
    try:
        serve(_root(args), args.port, cached=args.cache)
    except SiteUnavailable as error:
        raise UsageError(str(error)) from None
    except KeyboardInterrupt:
        pass
    return EXIT_OK


def cmd_tables(args: argparse.Namespace) -> int:
    from compiler.backends import tables as render
    from compiler.backends.site.page import EXAMPLE_START
    from compiler.build import OutputRefused, folder_or_nothing, write_files
    from compiler.comparison import TABLE_IDS, tables

    unknown = [i for i in args.ids if i not in TABLE_IDS]
    if unknown:
        shown = ", ".join(cut(i) for i in unknown)
        raise UsageError(f"no table {shown}; tables: {', '.join(TABLE_IDS)}")
    if args.format == "csv" and args.out is None and len(args.ids) != 1:
        # One CSV file is one table: several on stdout would not read back as CSV.
        raise UsageError("--format csv prints one table: name one table id, or give --out DIR")
    if args.out is not None:
        # A folder that cannot take the tables is refused before the model is loaded.
        try:
            folder_or_nothing(Path(args.out))
        except OutputRefused as error:
            raise UsageError(f"tables refused: {error}") from None
    program = _load_program(args)
    chosen = tables(program, EXAMPLE_START, args.ids or None)
    if args.out is None:
        if args.format == "json":
            sys.stdout.write(render.dumps([render.table_json(t) for t in chosen]))
        elif args.format == "csv":
            sys.stdout.flush()
            sys.stdout.buffer.write(render.to_csv(chosen[0]))
        else:
            sys.stdout.write("\n".join(render.to_markdown(t) for t in chosen))
        return EXIT_OK
    out = Path(args.out)
    try:
        write_files(
            out,
            {f"{t.id}.{render.SUFFIX[args.format]}": render.render(t, args.format) for t in chosen},
        )
    except OutputRefused as error:
        raise UsageError(f"tables refused: {error}") from None
    except OSError as error:
        raise UsageError(f"cannot write {out}: {error.strerror or error}") from None
    sys.stderr.write(f"policyc tables: wrote {len(chosen):,} file(s) to {out}\n")
    return EXIT_OK


def _example_start(text: str | None) -> date:
    """`--start` of the reports that count example due dates: a day, as `due` reads it."""
    from compiler.comparison import EXAMPLE_START
    from compiler.runtime import cli as runtime_cli

    if text is None:
        return EXAMPLE_START
    try:
        start = runtime_cli.parse_start(text)
    except runtime_cli.InputError as error:
        raise UsageError(str(error)) from None
    if isinstance(start, datetime):
        hours = "limits in hours count from 09:00"
        raise UsageError(f"--start {cut(text)}: expected a date YYYY-MM-DD ({hours})")
    return start


def cmd_conflicts(args: argparse.Namespace) -> int:
    from compiler.conflicts import report
    from compiler.diagnostics import did_you_mean

    program = _load_program(args)
    against = tuple(dict.fromkeys(args.against or ()))
    for policy_id in (*args.ids, *against):
        if policy_id not in program.policies:
            hint = " ".join(did_you_mean(policy_id, program.policies))
            said = f"no policy '{cut(policy_id)}'"
            raise UsageError(_no_policy(program, said, policy_id, hint))
    out = Path(args.emit_tests) if args.emit_tests is not None else None
    if out is not None and out.exists() and not out.is_dir():
        raise UsageError(f"cannot write {out}: not a directory")  # before the analysis
    start = _example_start(args.start)
    # Policies named with --against are compared whatever IDS name.
    chosen = report.restrict(program, [*args.ids, *against] if args.ids else None)
    if out is not None:
        try:  # before the analysis, which takes seconds
            report.refuse_foreign(out, chosen.policies)
        except OSError as error:
            raise UsageError(f"cannot write {out}: {error.strerror or error}") from None
    # The search grows with the square of the decisions compared (every ordered pair has its
    # cases in the report): minutes at a hundred jurisdictions, with a line on a terminal.
    line = _progress_line(args)
    try:
        parts = report.sections(chosen, start, line.step, against)
    finally:
        line.done()
    if out is not None:
        try:
            emitted = report.emit_tests(parts, out)
        except OSError as error:
            raise UsageError(f"cannot write {out}: {error.strerror or error}") from None
        removed = len(emitted.removed)
        sys.stderr.write(
            f"policyc conflicts: wrote {len(emitted.written):,} test file(s) to {out}"
            + (
                f"; removed {removed:,} an earlier --emit-tests wrote for policies without "
                "a witness in this report"
                if removed
                else ""
            )
            + "\n"
        )
    if args.json:
        sys.stdout.flush()
        sys.stdout.buffer.write(report.json_bytes(chosen, parts, against))
    elif args.markdown:
        sys.stdout.write(report.to_markdown(parts, report.plain_cite))
    else:
        sys.stdout.write(report.to_text(parts))
    return EXIT_OK


def _read_json(source: str) -> Any:
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8-sig")
    except OSError as error:
        raise UsageError(f"cannot read {source}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{source} is not UTF-8 text") from None
    try:
        return jsontext.loads(text)
    except jsontext.JSONInputError as error:
        where = f"{source}:{error.line}:{error.column}" if error.line else source
        raise UsageError(f"{where}: not valid JSON: {error.message}") from None


def _calendar(args: argparse.Namespace) -> Any:
    from compiler.runtime.timelimits import CalendarDataError, load_calendar

    try:
        return load_calendar([Path(p) for p in args.calendar or ()])
    except CalendarDataError as error:
        raise UsageError(str(error)) from None


def cmd_graph(args: argparse.Namespace) -> int:
    from compiler.graph import build_graph, policy_subgraph
    from compiler.graph import to_json as graph_json

    program = _load_program(args)
    _known_policies(program, args.policy)
    graph = build_graph(program)
    if args.json:
        _print(graph_json(policy_subgraph(graph, args.policy) if args.policy else graph))
        return EXIT_OK
    for policy in args.policy or sorted(program.policies):
        _print(_graph_summary(policy, policy_subgraph(graph, [policy])))
    if not args.policy:
        _print(_graph_summary("all", graph))
    return EXIT_OK


def cmd_diff(args: argparse.Namespace) -> int:
    from compiler.diff import report
    from compiler.diff.load import BadVersion, CheckFailed, load_versions

    try:
        old, new = load_versions(args.old, args.new, _root(args))
    except BadVersion as error:
        raise UsageError(str(error)) from None
    except CheckFailed as error:
        # A version with check errors is bad input (2), not a change (1).
        if error.errors:
            sys.stderr.write(render_all(list(error.errors)) + "\n")
            if stopped_at_syntax(error.errors):
                sys.stderr.write(f"policyc diff: {skipped(error.errors)}\n")
        sys.stderr.write(f"policyc diff: {error}\n")
        return EXIT_USAGE
    found = report.parts(old, new)
    if args.json:
        sys.stdout.write(report.to_json(found, old, new))
    elif args.markdown:
        sys.stdout.write(report.to_markdown(found, old, new))
    else:
        sys.stdout.write(report.to_text(found, old, new, report.use_colour(sys.stdout)))
    return report.exit_code(found)


def _known_policies(program: ir.Program, ids: Sequence[str] | None) -> None:
    unknown = set(ids or ()) - set(program.policies)
    if unknown:
        only = next(iter(unknown)) if len(unknown) == 1 else None
        raise UsageError(
            _no_policy(program, f"no policy {', '.join(cut(i) for i in sorted(unknown))}", only)
        )


def _graph_summary(title: str, graph: Any) -> str:
    """`ningbo: 160 nodes, 300 edges` and the counts by type, most frequent first."""
    from compiler.graph import counts

    nodes, edges = counts(graph)

    def by_type(counter: Any) -> str:
        ordered = sorted(counter.items(), key=lambda item: (-item[1], item[0]))
        return ", ".join(f"{t} {c}" for t, c in ordered)

    return (
        f"{title}: {graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges\n"
        f"  nodes: {by_type(nodes)}\n"
        f"  edges: {by_type(edges)}"
    )


# ---------------------------------------------------------------- printing the AST


def to_plain(value: Any) -> Any:
    """A node as plain JSON data (spans as "file:line:col")."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {"node": type(value).__name__}
        for f in dataclasses.fields(value):
            item = getattr(value, f.name)
            out[f.name] = str(item) if isinstance(item, n.Span) else to_plain(item)
        return out
    if isinstance(value, tuple | list):
        return [to_plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def format_module(module: n.Module) -> str:
    """An indented, position-free rendering of the AST: stable across edits elsewhere."""
    lines: list[str] = []
    _emit(lines, module.items, 0, "items")
    return "\n".join(lines)


def _emit(lines: list[str], value: Any, depth: int, label: str = "") -> None:
    pad = "  " * depth + (f"{label}: " if label else "")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = [f for f in dataclasses.fields(value) if f.name != "span"]
        simple = [f for f in fields if not _is_complex(getattr(value, f.name))]
        head = " ".join(
            f"{f.name}={_atom(getattr(value, f.name))}"
            for f in simple
            if getattr(value, f.name) not in (None, ())
        )
        lines.append(f"{pad}{type(value).__name__} {head}".rstrip())
        for f in fields:
            item = getattr(value, f.name)
            if _is_complex(item):
                _emit(lines, item, depth + 1, f.name)
    elif isinstance(value, tuple | list):
        lines.append(f"{pad}[{len(value)}]")
        for item in value:
            _emit(lines, item, depth + 1)
    else:
        lines.append(f"{pad}{_atom(value)}")


def _is_complex(value: Any) -> bool:
    if isinstance(value, n.TypeRef | n.Duration | n.Citation | n.Quote):
        return False
    if dataclasses.is_dataclass(value):
        return True
    return isinstance(value, tuple | list) and any(
        dataclasses.is_dataclass(v)
        and not isinstance(v, n.TypeRef | n.Duration | n.Citation | n.Quote)
        for v in value
    )


def _atom(value: Any) -> str:
    if isinstance(value, n.Citation | n.Quote):
        return json.dumps(value.text, ensure_ascii=False)
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_atom(v) for v in value) + "]"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


# ---------------------------------------------------------------- argument parsing


def _cache_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--no-cache",
        dest="cache",
        action="store_false",
        help="parse every file; neither read nor write .policyc-cache/",
    )


# What the environment changes, shown under `policyc --help` (README: "Processes and memory",
# "Many policies").
_ENVIRONMENT = """\
environment:
  POLICYC_JOBS=N     worker processes for parsing, checking, building and conflicts (1: none);
                     default: the cores this process may use, at most 8
  CI                 set: no progress lines on stderr (none either when it is not a terminal)
  TERM=dumb          no progress lines either (a terminal that cannot redraw a line)
  NO_COLOR           set: `policyc diff` writes no colour (none either off a terminal)
  POLICYC_DEBUG=1    an internal error shows where it happened (a traceback)
  XDG_CACHE_HOME     where the cache's secret is kept (default: ~/.cache/policyc/)
  SOURCE_DATE_EPOCH  the build date in the site's sitemap (default: none, so that two
                     builds are byte-identical)

exit codes: 0 clean, 1 findings, 2 bad input or command line, 3 internal error,
130 interrupted (Ctrl-C), 141 output closed (`| head`)"""


def _path_argument(text: str) -> str:
    """A path given on the command line, not empty: `--out "$OUT"` with OUT unset in a CI
    script built into the default folder, and `--root ""` took the working directory."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty path (a variable that expanded to nothing?)")
    return text


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="policyc",
        description="A compiler for Chinese social-assistance (社会救助) policy documents.",
        epilog=_ENVIRONMENT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--root",
        type=_path_argument,
        help="the project directory (default: found from the "
        "current directory, the nearest one holding policies/)",
    )
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    p = verbs.add_parser("check", help="check policy files: names, types, citations, quotes")
    p.add_argument(
        "paths", nargs="*", metavar="PATH", help="files or directories (default: policies/)"
    )
    p.add_argument("--json", action="store_true", help="diagnostics as JSON on stdout")
    _cache_option(p)
    p.set_defaults(run=cmd_check, verb="check")

    p = verbs.add_parser("fmt", help="write policy files in the canonical layout (comments kept)")
    p.add_argument(
        "paths", nargs="*", metavar="PATH", help="files or directories (default: policies/)"
    )
    p.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if a file would change"
    )
    p.add_argument("--diff", action="store_true", help="write nothing; print a unified diff")
    p.set_defaults(run=cmd_fmt)

    p = verbs.add_parser("coverage", help="clause coverage of each transcribed document")
    p.add_argument("policy", nargs="*", help="policy ids (default: all)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_coverage)

    p = verbs.add_parser("test", help="run the policy tests on the reference interpreter")
    p.add_argument("policy", nargs="*", help="policy ids (default: all)")
    p.add_argument("--json", action="store_true")
    p.add_argument(
        "--cases",
        action="append",
        metavar="DIR",
        help="also run the policy tests in DIR (e.g. written by conflicts --emit-tests)",
    )
    p.add_argument(
        "--calendar",
        action="append",
        metavar="FILE",
        help="an extra working-day calendar file (a year's official schedule)",
    )
    p.set_defaults(run=cmd_test)

    p = verbs.add_parser("new", help="write a skeleton policy file from an official text")
    p.add_argument("source", metavar="SOURCE", help="the official text (UTF-8)")
    p.add_argument("--id", help="the policy id (default: the file name without .txt)")
    p.add_argument("--force", action="store_true", help="overwrite an existing policy file")
    p.set_defaults(run=cmd_new)

    p = verbs.add_parser(
        "dump", help="print the AST of one policy file, or (--ir) the lowered model of a policy"
    )
    p.add_argument("path", nargs="?", help="a policy file; with --ir, a policy id or file (or all)")
    p.add_argument("--json", action="store_true", help="as JSON (the AST with source positions)")
    p.add_argument(
        "--ir", action="store_true", help="the lowered model that every backend reads (checked)"
    )
    p.set_defaults(run=cmd_dump)

    p = verbs.add_parser("decide", help="decide a case: outcome, explanation, missing facts")
    p.add_argument("policy")
    p.add_argument(
        "--facts", required=True, metavar="FILE", help="a JSON object of facts, or - for stdin"
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_decide)

    p = verbs.add_parser("example", help="minimal facts under which a clause's rules hold")
    p.add_argument("policy")
    p.add_argument("clause", help="in the document's numbering, e.g. 第四条（一）2 or 三（十三）")
    p.add_argument("--json", action="store_true", help="as JSON; each 'facts' suits decide --facts")
    p.set_defaults(run=cmd_example)

    p = verbs.add_parser("due", help="the due dates of every time limit a clause states")
    p.add_argument("policy")
    p.add_argument("clause", help="in the document's numbering, e.g. 二（三）")
    p.add_argument(
        "--start",
        required=True,
        metavar="DATE",
        help="YYYY-MM-DD (not counted), or YYYY-MM-DDTHH:MM for limits in hours",
    )
    p.add_argument("--calendar", action="append", metavar="FILE", help="a year's official schedule")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_due)

    p = verbs.add_parser("validate", help="check case records (JSON, JSONL, CSV) against a policy")
    p.add_argument("--policy", required=True)
    p.add_argument(
        "cases", nargs="+", metavar="CASES", help="files of case records; - for standard input"
    )
    p.add_argument(
        "--input-format",
        choices=INPUT_FORMATS,
        help="the format of every CASES named, whatever its suffix: needed for - and for names "
        "without one (bash's <(zcat cases.jsonl.gz))",
    )
    p.add_argument("--format", choices=runtime_report.FORMATS, default="text")
    p.add_argument("--calendar", action="append", metavar="FILE", help="a year's official schedule")
    p.add_argument("--json", action="store_true", help="the same as --format json")
    p.set_defaults(run=cmd_validate)

    p = verbs.add_parser(
        "build", help="write the generated validator package (the site: policyc site)"
    )
    p.add_argument(
        "--out", type=_path_argument, metavar="DIR", help="the build directory (default: build/)"
    )
    p.add_argument(
        "--target",
        choices=("all", "python", "sql"),
        default="all",
        help="what to write: the Python validators (validators/), the SQL (sql/), or both "
        "(default); one target keeps the other's output",
    )
    p.add_argument("--json", action="store_true")
    _cache_option(p)
    p.set_defaults(run=cmd_build, verb="build")

    p = verbs.add_parser("site", help="build the static site (MkDocs, strict) from the model")
    p.add_argument(
        "--out",
        type=_path_argument,
        metavar="DIR",
        help="the site directory (default: build/site/)",
    )
    _cache_option(p)
    p.set_defaults(run=cmd_site)

    p = verbs.add_parser("serve", help="serve the site on localhost, rebuilding on changes")
    p.add_argument("--port", type=int, default=8000, help="the port (default: 8000)")
    _cache_option(p)
    p.set_defaults(run=cmd_serve)

    p = verbs.add_parser(
        "tables", help="the comparison tables across the cities (Markdown, CSV or JSON)"
    )
    p.add_argument(
        "ids",
        nargs="*",
        metavar="ID",
        help="table ids: situations, exclusions, timelimits, thresholds, duties, "
        "liabilities, sanctions (default: all)",
    )
    p.add_argument("--format", choices=("markdown", "csv", "json"), default="markdown")
    p.add_argument(
        "--out",
        type=_path_argument,
        metavar="DIR",
        help="write one file per table (<id>.md/.csv/.json) into DIR",
    )
    p.set_defaults(run=cmd_tables)

    p = verbs.add_parser(
        "diff", help="what changed in meaning between two versions of a policy (0 none, 1 some)"
    )
    p.add_argument("old", help="policy file, or REV:PATH read from git (PATH from the root)")
    p.add_argument("new", help="policy file, or REV:PATH")
    shape = p.add_mutually_exclusive_group()
    shape.add_argument("--json", action="store_true", help="JSON (docs/diff.md)")
    shape.add_argument("--markdown", action="store_true", help="Markdown")
    p.set_defaults(run=cmd_diff)

    p = verbs.add_parser(
        "conflicts", help="where the cities' rules disagree, with verified witness cases"
    )
    p.add_argument("ids", nargs="*", metavar="ID", help="policy ids (default: all)")
    p.add_argument(
        "--against",
        action="append",
        metavar="ID",
        help="compare the decisions only in pairs with this policy's on one side (repeatable): "
        "how one jurisdiction differs from each other, a report that grows with the "
        "jurisdictions where every pair's grows with their square",
    )
    shape = p.add_mutually_exclusive_group()
    shape.add_argument("--json", action="store_true", help="the report as JSON (docs/conflicts.md)")
    shape.add_argument("--markdown", action="store_true", help="the report as Markdown")
    p.add_argument(
        "--emit-tests",
        type=_path_argument,
        metavar="DIR",
        help="write every witness as a policy test into DIR",
    )
    p.add_argument(
        "--start", metavar="DATE", help="YYYY-MM-DD the example due dates count from (2024-09-27)"
    )
    p.set_defaults(run=cmd_conflicts)

    p = verbs.add_parser("graph", help="the rule graph: summary, or node-link JSON")
    p.add_argument("policy", nargs="*", help="policy ids (default: all)")
    p.add_argument("--json", action="store_true", help="node-link JSON of the graph")
    p.set_defaults(run=cmd_graph)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """0 pass, 1 findings or check errors, 2 bad input, 3 internal error (runtime/exits)."""

    def command() -> int:
        args = build_parser().parse_args(argv)
        cores()  # a bad POLICYC_JOBS is an error at once, even where the cache spares the work
        code: int = args.run(args)
        return code

    # WorkerLost: the system killed a worker (most often for memory), not a bug to report;
    # its message says what to do.
    return guarded(command, "policyc", (UsageError, ProjectNotFound, JobsError), (WorkerLost,))


if __name__ == "__main__":
    sys.exit(main())
