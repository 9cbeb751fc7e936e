"""The validators' command line: validate case records, decide, compute due dates, print schemas.

Exit codes: 0 all records pass, 1 findings, 2 bad input (a malformed record, an unknown policy,
a date outside the working-day calendar), 3 an internal error (out of memory included), 130
Ctrl-C, 141 stdout closed by its reader (runtime/exits.py).  Bad input never shows a Python
traceback.  Reports and messages are UTF-8, whatever the locale.

`validate` streams: records are read, checked and reported one at a time, so memory stays flat
however many records there are.  The report reaches stdout only once every record has been
read and checked (until then it waits in memory while small, then in an anonymous temporary
file): a malformed record, even the millionth, leaves stdout empty and exits 2, so CI never
takes half a report for a whole one.

`-` among the inputs is standard input, read once and streamed as a file is, named `<stdin>`
in records and messages; `--input-format` gives the format of every input named (`-` and
bash's `/dev/fd/63` have no suffix to give it), else each file's suffix gives its own.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import IO, TextIO

from . import jsontext
from .decision import decide_json
from .errors import OutOfMemory, PolicycError
from .exits import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, guarded
from .policy import Due, Limit, PolicyInfo
from .records import (
    INPUT_FORMATS,
    NO_STDIN_FORMAT,
    STDIN,
    Record,
    RecordError,
    check_file,
    input_path,
    iter_records,
    record_schema,
    stdin_bytes,
    stdin_once,
)
from .report import FORMATS, report
from .terminal import draws_progress
from .timelimits import (
    CalendarDataError,
    CalendarNotCovered,
    WorkdayCalendar,
    load_calendar,
)
from .validation import Tally, validate_records
from .values import FactError, cut, parse_datetime, to_json


class InputError(PolicycError):
    """Bad input: exit 2 with this message."""


# Up to this many policies, the help and the message of an unknown id name them all; beyond,
# they say how many there are and which verb lists them (a province has thousands).
LISTED_AT_MOST = 10
# An unknown id is answered with at most this many close ids.
SUGGESTED_AT_MOST = 5
# The verb that lists the policies, one a line.
LIST_VERB = "policies"


def choose(
    policies: Mapping[str, PolicyInfo], policy_id: str, prog: str = "python -m policyc_validators"
) -> PolicyInfo:
    if policy_id not in policies:
        raise InputError(unknown_policy(policies, policy_id, prog))
    return policies[policy_id]


def unknown_policy(ids: Iterable[str], policy_id: str, prog: str) -> str:
    """Why `policy_id` names no policy: with a few policies, all of them; with more, the ids
    close to it (a typo, or the start of ids such as weihai0003), how many there are and the
    command that lists them."""
    known = sorted(ids)
    said = f"no policy '{cut(policy_id)}'"
    if len(known) <= LISTED_AT_MOST:
        return f"{said}; policies: {', '.join(known)}"
    close, starting = close_ids(policy_id, known)
    hint = ""
    if close:
        more = starting - sum(1 for c in close if c.startswith(policy_id))
        also = f" ({more:,} more start with '{policy_id}')" if more > 0 else ""
        hint = f"did you mean {', '.join(repr(c) for c in close)}{also}? "
    return f"{said}; {hint}{len(known):,} policies, listed by `{prog} {LIST_VERB}`"


def close_ids(word: str, known: Sequence[str]) -> tuple[list[str], int]:
    """The ids most like `word` (difflib's ratio at least 0.6, or starting with it), most
    alike first, then in order of id, at most SUGGESTED_AT_MOST; and how many start with it."""
    import difflib  # only for an unknown id

    if not word or len(word) > 4 * max(map(len, known), default=0):
        return [], 0  # a long argument is no typo of an id: not compared with thousands
    # Ids are lower case (file names); `NINGBO0001`, typed with caps lock, is no other id.
    word = word.lower()
    scored: list[tuple[float, str]] = []
    starting = 0
    matcher = difflib.SequenceMatcher(b=word)
    for candidate in known:
        matcher.set_seq1(candidate)
        prefix = candidate.startswith(word)
        starting += prefix
        if prefix or (matcher.real_quick_ratio() >= 0.6 and matcher.quick_ratio() >= 0.6):
            ratio = matcher.ratio()
            if prefix or ratio >= 0.6:
                scored.append((-ratio, candidate))
    return [c for _, c in sorted(scored)[:SUGGESTED_AT_MOST]], starting


def policy_help(policies: Mapping[str, PolicyInfo], prog: str) -> str:
    """The help of --policy: the ids, or with many how many and the verb that lists them."""
    if len(policies) <= LISTED_AT_MOST:
        return f"one of: {', '.join(sorted(policies))}"
    lister = f"{prog} {LIST_VERB}".replace("%", "%%")  # argparse formats help with %
    return f"one of {len(policies):,} policies (`{lister}` lists them)"


def list_policies(out: TextIO, policies: Mapping[str, PolicyInfo]) -> None:
    """`policies`: each id and its title, tab between, one policy a line, in order of id.
    The package's mapping gives the titles without importing the policies (`titles()`:
    at 3,000 policies, importing each for its title took 75 s); any other mapping is read."""
    titles: Callable[[], Mapping[str, str]] | None = getattr(policies, "titles", None)
    known = titles() if titles is not None else {p: policies[p].title for p in policies}
    for policy_id in sorted(policies):
        title = " ".join(known[policy_id].split())
        out.write(f"{policy_id}\t{title}\n")


def calendar_from(files: Sequence[str] | None) -> WorkdayCalendar:
    try:
        return load_calendar([Path(f) for f in files or ()])
    except (CalendarDataError, OSError) as error:
        raise InputError(str(error)) from None


def run_validate(
    policy: PolicyInfo,
    paths: Sequence[str],
    fmt: str,
    calendar: WorkdayCalendar,
    input_format: str | None = None,
) -> tuple[str, int]:
    """The report and the exit code of validating the records in `paths`, the report as one
    string (for small inputs and tests; the command line streams with `validate_into`)."""
    import io

    out = io.StringIO()
    code = validate_into(out, policy, paths, fmt, calendar, input_format=input_format)
    return out.getvalue(), code


def validate_into(
    out: TextIO,
    policy: PolicyInfo,
    paths: Sequence[str],
    fmt: str,
    calendar: WorkdayCalendar,
    progress: Progress | None = None,
    input_format: str | None = None,
) -> int:
    """Validate the records in `paths` and write the report to `out`; the exit code.

    One record at a time: memory does not grow with the number of records.  The report is
    written to `out` only when every record has been read and checked; on bad input (a
    malformed record, a year outside the calendar) nothing is written and InputError says why.
    `-` in `paths` is standard input; `input_format` the format of every path (`--input-format`),
    else each file's suffix gives its own.
    """
    _python_reads(input_format)
    try:
        stdin_once(paths)
    except RecordError as error:
        raise InputError(str(error)) from None
    writer = report(policy, fmt)
    tally = Tally(policy)
    with _Spool() as spool:
        try:
            records = _records(paths, policy, input_format)
            for result in validate_records(policy, records, calendar):
                tally.add(result)
                spool.write(writer.record(result))
                if progress is not None:
                    progress.tick()
        except RecordError as error:
            raise InputError(str(error)) from None
        except CalendarNotCovered as error:
            raise InputError(str(error)) from None  # its message already says what to do
        finally:
            if progress is not None:
                progress.close()
        out.write(writer.head(tally))
        spool.copy_to(out)
        out.write(writer.tail(tally))
    return EXIT_FINDINGS if tally.findings else EXIT_OK


def _records(
    paths: Sequence[str], policy: PolicyInfo, input_format: str | None
) -> Iterator[Record]:
    """The records of every input in turn; standard input (`-`) read as a file is, line by
    line, named `<stdin>`."""
    for path in paths:
        if path != STDIN:
            yield from iter_records(Path(path), policy.facts, fmt=input_format)
        elif input_format is None:
            raise RecordError(NO_STDIN_FORMAT)  # never guessed from the content
        else:
            yield from iter_records(input_path(path), policy.facts, stdin_bytes(), input_format)


# The report is held in memory up to this many characters, then in a temporary file.
SPOOL_IN_MEMORY = 1 << 20
# A terminal's progress line is rewritten at most this often (seconds).
PROGRESS_EVERY = 0.5


class _Spool:
    """Text held back until the run has succeeded: in memory while small, in an anonymous
    temporary file beyond SPOOL_IN_MEMORY characters, so memory stays flat for any report."""

    def __init__(self) -> None:
        self.limit = SPOOL_IN_MEMORY
        self.parts: list[str] = []
        self.size = 0
        self.file: IO[str] | None = None

    def __enter__(self) -> _Spool:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.parts = []
        if self.file is not None:
            self.file.close()  # an anonymous file: closing it frees its disk space

    def write(self, text: str) -> None:
        if self.file is not None:
            self.file.write(text)
            return
        self.parts.append(text)
        self.size += len(text)
        if self.size > self.limit:
            import tempfile  # only for a large report

            # newline="": the text goes out as it came in, whatever the platform.  Closed by
            # __exit__, as the spool is itself the context manager.
            self.file = tempfile.TemporaryFile("w+", encoding="utf-8", newline="")  # noqa: SIM115
            self.file.write("".join(self.parts))
            self.parts = []

    def copy_to(self, out: TextIO) -> None:
        if self.file is None:
            out.write("".join(self.parts))
            return
        self.file.seek(0)
        while chunk := self.file.read(1 << 16):
            out.write(chunk)


class Progress:
    """Records done and records per second on a terminal's stderr, one line rewritten in
    place; nothing at all when stderr is not a terminal, in CI (logs stay clean) and nothing
    for a run shorter than `every` seconds."""

    def __init__(
        self,
        stream: TextIO,
        prog: str,
        every: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream, self.prog, self.clock = stream, prog, clock
        self.every = PROGRESS_EVERY if every is None else every
        self.done = 0
        self.started = self.last = clock()
        self.shown = False

    @staticmethod
    def on_terminal(stream: TextIO, prog: str) -> Progress | None:
        """A Progress on `stream` when one may be drawn there (`draws_progress`), else None."""
        return Progress(stream, prog) if draws_progress(stream) else None

    def tick(self) -> None:
        self.done += 1
        if self.done % 64:  # the clock is read every 64 records: ticks stay nearly free
            return
        now = self.clock()
        if now - self.last >= self.every:
            self.last = now
            rate = self.done / (now - self.started) if now > self.started else 0.0
            self._show(f"{self.prog}: {self.done:,} records, {rate:,.0f} records/s")

    def close(self) -> None:
        """Erase the line, so that what follows on the terminal starts clean."""
        if self.shown:
            self._show("")

    def _show(self, text: str) -> None:
        self.stream.write(f"\r\x1b[K{text}")  # back to the line's start, erase it, write
        self.stream.flush()
        self.shown = True


def _positive(text: str) -> int:
    """A count of at least 1 (argparse's type for --threads)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, not {text!r}")
    return value


def _duckdb_options(args: argparse.Namespace) -> list[str]:
    """The options of the DuckDB engine alone given on the command line."""
    given = {"--out": args.out, "--memory-limit": args.memory_limit, "--threads": args.threads}
    return [option for option, value in given.items() if value is not None]


def _run_duckdb(policy: PolicyInfo, args: argparse.Namespace, prog: str) -> tuple[str, int]:
    """`validate --engine duckdb`: runtime/sqlengine.py, which imports DuckDB itself; on a
    terminal a line says how far DuckDB's query is (`QueryProgress`)."""
    if args.engine != "duckdb":
        *others, last = _duckdb_options(args)
        given = f"{', '.join(others)} and {last} need" if others else f"{last} needs"
        raise InputError(f"{given} --engine duckdb")
    if args.format != "text":
        raise InputError("--engine duckdb writes the text report; --out FILE for the table")
    from .sqlengine import EngineError, run_duckdb

    try:
        # The report goes to stdout as it is read from the database (the text returned is
        # then empty): memory stays flat however many records.
        return run_duckdb(
            policy,
            args.cases,
            args.calendar,
            args.out,
            stream=sys.stdout,
            progress=prog,
            input_format=args.input_format,
            threads=args.threads,
            memory_limit=args.memory_limit,
        )
    except EngineError as error:
        raise InputError(str(error)) from None


# How to read Parquet, which the standard-library engine cannot.
_PARQUET = (
    "the standard-library engine cannot read Parquet; use --engine duckdb "
    "(pip install policyc-validators[duckdb])"
)


def _python_reads(input_format: str | None) -> None:
    """InputError unless the standard-library engine reads `input_format` (--input-format)."""
    if input_format == "parquet":
        raise InputError(f"--input-format parquet: {_PARQUET}")
    if input_format is not None and input_format not in INPUT_FORMATS:
        raise InputError(f"--input-format {input_format}: expected {', '.join(INPUT_FORMATS)}")


def _check_files(paths: Sequence[str], input_format: str | None = None) -> None:
    """Every file has a format this engine reads and can be opened: said before any record is
    read, file by file, as the DuckDB engine says it (runtime/sqlengine.py `_source`), so that
    both name the same first problem.  Parquet is read by DuckDB only: said with the way to it.
    `input_format` (--input-format) is the format of every file; standard input (`-`) needs
    it, having no name to tell its format by."""
    _python_reads(input_format)
    for path in paths:
        if path == STDIN:
            if input_format is None:
                raise InputError(NO_STDIN_FORMAT)
            continue  # nothing to open: it is open
        if input_format is None and Path(path).suffix.lower() == ".parquet":
            raise InputError(f"{path}: {_PARQUET}")
        try:
            check_file(Path(path), input_format)
        except RecordError as error:
            raise InputError(str(error)) from None


def normalize_clause(text: str) -> str:
    """Citations compare without spaces, with full-width brackets and without 、."""
    table = str.maketrans({"(": "（", ")": "）", "、": None, " ": None, "\u3000": None})
    return text.translate(table)


def limits_of_clause(policy: PolicyInfo, clause: str) -> list[Limit]:
    wanted = normalize_clause(clause)
    return [limit for limit in policy.limits if normalize_clause(limit.clause) == wanted]


# Digits of clause numbers: a citation ending `（三）` or `2` is an ending of `一（三）` or
# `第四条（一）2` only where no numeral runs on before it (`十一（三）`, `第四条（一）12` do not end
# with `一（三）`, `2`).
_NUMERALS = frozenset("0123456789〇零一二三四五六七八九十百千两")


def _ends_with(citation: str, wanted: str) -> bool:
    if citation == wanted or not citation.endswith(wanted):
        return False
    before = citation[: -len(wanted)]
    return not (before[-1] in _NUMERALS and wanted[0] in _NUMERALS)


def no_limit_message(
    policy: PolicyInfo, clause: str, candidates: Sequence[str] | None = None
) -> str:
    """Why no limit answers `clause` — the one message of the package's `due` and of
    `policyc due`.  An item number such as （三） that ends several clauses (一（三）, 二（三）)
    is ambiguous, and the one among them that states a limit is offered; otherwise the clause
    states none, and the clauses that do are listed.  `candidates`: the clauses `clause`
    could name, when the caller resolved it against the document (policyc); the package,
    which has no document, takes the clauses of its rules and limits that end with it."""
    wanted = normalize_clause(clause)
    known = sorted({limit.clause for limit in policy.limits})
    if candidates is None:
        every = {rule.clause for rule in policy.rules} | set(known)
        candidates = sorted(c for c in every if wanted and _ends_with(normalize_clause(c), wanted))
    meant = [c for c in candidates if c in known]
    if meant or len(candidates) > 1:
        could = f"it could be {', '.join(candidates)}; " if len(candidates) > 1 else ""
        if not meant:
            return (
                f"the clause {clause} is ambiguous in {policy.id}: {could}none of them states "
                f"a time limit; clauses with limits: {', '.join(known)}"
            )
        return (
            f"the clause {clause} is ambiguous in {policy.id}: {could}"
            f"did you mean {' or '.join(meant)}?"
        )
    return f"{policy.id} {clause} has no time limit; clauses with limits: {', '.join(known)}"


def due_json(
    policy: PolicyInfo, limits: Sequence[Limit], start: date, calendar: WorkdayCalendar
) -> dict[str, object]:
    """The due date of each limit from `start` (the start day not counted)."""
    entries: list[dict[str, object]] = []
    for limit in limits:
        entry: dict[str, object] = {
            "limit": limit.name,
            "clause": limit.clause,
            "label": limit.label,
            "count": limit.amount,
            "unit": limit.unit,
            "from": limit.start,
            "until": limit.end,
            "excluding": limit.excluding,
        }
        notes: list[str] = []
        try:
            if limit.unit == "hours" and not isinstance(start, datetime):
                # A date alone has no time of day for the hours to run from.
                entry["due"] = None
                notes.append(
                    f"{limit.amount} hours from the moment of {limit.start or 'the start'}: "
                    "give --start with its time of day, YYYY-MM-DDTHH:MM"
                )
            else:
                # Hours run from the moment (and never move); days and working days from its day.
                notes.extend(_put_due(entry, limit.reckon(start, calendar)))
            if limit.no_rollover is not None:
                entry["no_rollover"] = limit.no_rollover
            if limit.excluding is not None:
                period = policy.periods.get(limit.excluding, limit.excluding)
                notes.insert(0, f"later by the working days of {period}, which do not count")
            if limit.extend_amount is not None and limit.extend_unit is not None:
                longer: dict[str, object] = {
                    "count": limit.extend_amount,
                    "unit": limit.extend_unit,
                }
                if limit.extend_unit == "hours" and not isinstance(start, datetime):
                    longer["due"] = None
                else:
                    longer_notes = _put_due(longer, limit.reckon(start, calendar, extended=True))
                    if longer_notes:
                        longer["note"] = "; ".join(longer_notes)
                entry["extended"] = longer
        except (CalendarNotCovered, FactError) as error:  # FactError: past 9999-12-31
            raise InputError(str(error)) from None  # its message already says what to do
        if notes:
            entry["note"] = "; ".join(notes)
        entries.append(entry)
    return {
        "policy": policy.id,
        "start": to_json(start),
        "limits": entries,
        "calendar": calendar_coverage(calendar),
    }


def _put_due(entry: dict[str, object], reckoned: Due) -> list[str]:
    """The due date or moment into `entry`; when it moved off a 法定休假日, the day the count
    reached as `counted`; when a holiday schedule it depends on is not yet published, the
    mark `provisional` with the bounds and the reason (never silently final).  Returns the
    notes that explain the roll-over."""
    entry["due"] = to_json(reckoned.day)
    if reckoned.moved:
        entry["counted"] = to_json(reckoned.counted)
    bounds = reckoned.bounds
    if bounds is not None:
        entry["provisional"] = {
            "earliest": bounds.earliest.isoformat(),
            "latest": bounds.latest.isoformat(),
            "unpublished": list(bounds.unpublished),
            "reason": bounds.reason(),
        }
    explanation = reckoned.explanation()
    return [explanation] if explanation else []


def calendar_coverage(calendar: WorkdayCalendar) -> list[int]:
    return [calendar.first_year, calendar.last_year]


def _read_json(source: str) -> object:
    """The JSON document in the file `source`, or on stdin for `-`: UTF-8 with or without a
    BOM, decoded here from bytes, so that a bad byte is named by its offset after the BOM, as
    in case records (a text stdin in a C.UTF-8 locale passes it on as a surrogate, later
    refused as "not valid JSON" or as a wrong value)."""
    try:
        if source == "-":
            stdin = getattr(sys.stdin, "buffer", None)  # None: a StringIO put there by a caller
            text = stdin.read().decode("utf-8-sig") if stdin is not None else sys.stdin.read()
        else:
            text = Path(source).read_bytes().decode("utf-8-sig")
        return jsontext.loads(text)
    except OSError as error:
        raise InputError(f"cannot read {source}: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise InputError(f"{source}: not UTF-8 (byte {error.start})") from None
    except jsontext.JSONInputError as error:
        where = f"{source}:{error.line}:{error.column}" if error.line else source
        raise InputError(f"{where}: not valid JSON: {error.message}") from None


def parse_start(text: str) -> date:
    """`due --start`: a date, or a date-time (local time in China) for limits in hours."""
    try:
        start = parse_datetime(text)
    except FactError as error:
        raise InputError(f"--start {error}") from None
    if start is None:
        raise InputError(
            f"--start {cut(text)}: expected a date YYYY-MM-DD or a date-time YYYY-MM-DDTHH:MM"
        )
    return start


def build_parser(prog: str, policies: Mapping[str, PolicyInfo]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog, description="Policy validators generated by policyc."
    )
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    ids = policy_help(policies, prog)

    p = verbs.add_parser(
        "validate",
        help="check case records (JSON, JSONL, CSV; Parquet with --engine duckdb) against a policy",
    )
    p.add_argument("--policy", required=True, help=ids)
    p.add_argument(
        "cases",
        nargs="+",
        metavar="CASES",
        help="files of case records: .json, .jsonl (.ndjson), .csv; .parquet with --engine "
        "duckdb; - for standard input (with --input-format)",
    )
    p.add_argument(
        "--input-format",
        choices=(*INPUT_FORMATS, "parquet"),
        help="the format of every CASES named, whatever its suffix: needed for - and for names "
        "without one (bash's <(zcat cases.jsonl.gz)); parquet with --engine duckdb",
    )
    p.add_argument("--format", choices=FORMATS, default="text")
    p.add_argument("--calendar", action="append", metavar="FILE", help="a year's official schedule")
    p.add_argument(
        "--engine",
        choices=("python", "duckdb"),
        default="python",
        help="duckdb: the policy's SQL in DuckDB, also for Parquet (pip install "
        "policyc-validators[duckdb]); its text report names each finding without its message",
    )
    p.add_argument(
        "--out",
        metavar="FILE",
        help="--engine duckdb: write the per-record results (.parquet, .csv or .jsonl); "
        "stdout then carries the summary alone",
    )
    p.add_argument(
        "--memory-limit",
        metavar="SIZE",
        help="--engine duckdb: the most memory DuckDB holds (2GB, 500MB, or 50%% of the "
        "machine's; default DuckDB's own, 80%%); past it, it spills to a file under TMPDIR",
    )
    p.add_argument(
        "--threads",
        type=_positive,
        metavar="N",
        help="--engine duckdb: the threads DuckDB runs on (default: one a core)",
    )

    p = verbs.add_parser("decide", help="the relief decision for a JSON object of facts")
    p.add_argument("--policy", required=True, help=ids)
    p.add_argument("--facts", required=True, metavar="FILE", help="a JSON file, or - for stdin")

    p = verbs.add_parser("due", help="the due dates of a clause's time limits")
    p.add_argument("--policy", required=True, help=ids)
    p.add_argument("clause", help="the clause, in the document's numbering (二（三）)")
    p.add_argument(
        "--start", required=True, help="YYYY-MM-DD, or YYYY-MM-DDTHH:MM for limits in hours"
    )
    p.add_argument("--calendar", action="append", metavar="FILE")

    p = verbs.add_parser("schema", help="the JSON Schema of a policy's case records")
    p.add_argument("--policy", required=True, help=ids)

    verbs.add_parser(LIST_VERB, help="the policies: each id and its title, one a line")
    return parser


def main(argv: Sequence[str] | None, policies: Mapping[str, PolicyInfo], prog: str) -> int:
    """The command line: 0 pass, 1 findings, 2 bad input, 3 internal error, 130 Ctrl-C, 141
    stdout closed (runtime/exits)."""
    return guarded(lambda: _run(argv, policies, prog), prog, (InputError,), (OutOfMemory,))


def _run(argv: Sequence[str] | None, policies: Mapping[str, PolicyInfo], prog: str) -> int:
    args = build_parser(prog, policies).parse_args(argv)
    if args.verb == LIST_VERB:
        list_policies(sys.stdout, policies)
        return EXIT_OK
    try:
        policy = choose(policies, args.policy, prog)
        if args.verb == "validate":
            try:
                stdin_once(args.cases)  # before either engine reads anything
            except RecordError as error:
                raise InputError(str(error)) from None
        if args.verb == "validate" and (args.engine == "duckdb" or _duckdb_options(args)):
            text, code = _run_duckdb(policy, args, prog)
            sys.stdout.write(text)
            return code
        if args.verb == "validate":
            _check_files(args.cases, args.input_format)
            calendar = calendar_from(args.calendar)
            progress = Progress.on_terminal(sys.stderr, prog)
            return validate_into(
                sys.stdout, policy, args.cases, args.format, calendar, progress, args.input_format
            )
        if args.verb == "decide":
            raw = _read_json(args.facts)
            if not isinstance(raw, dict):
                raise InputError("the facts are a JSON object")
            try:
                result = decide_json(policy, raw)
            except FactError as error:
                raise InputError(str(error)) from None
            print(json.dumps(result, ensure_ascii=False, indent=2, sort_keys=True))
            return EXIT_OK
        if args.verb == "due":
            limits = limits_of_clause(policy, args.clause)
            if not limits:
                raise InputError(no_limit_message(policy, args.clause))
            result = due_json(policy, limits, parse_start(args.start), calendar_from(args.calendar))
            print(json.dumps(result, ensure_ascii=False, indent=2, sort_keys=True))
            return EXIT_OK
        schema = record_schema(policy.id, policy.title, policy.facts)
        print(json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True))
        return EXIT_OK
    except InputError as error:
        sys.stderr.write(f"{prog}: {error}\n")
        return EXIT_USAGE
