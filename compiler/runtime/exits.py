"""The exit codes of policyc and of the generated validators' command line, and the one guard
that turns whatever escapes a command into the right one with a one-line message.

CI reads these codes, so each means one thing: a crash must never look like findings (1) or
like a clean run (0).  Output is UTF-8 whatever the locale (`utf8_output`): reports and
messages are Chinese text, documented as UTF-8 data.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import os
import sys
from collections.abc import Callable
from typing import Final

EXIT_OK: Final = 0  # checked, nothing found
EXIT_FINDINGS: Final = 1  # checked, and there are findings (or check errors)
EXIT_USAGE: Final = 2  # bad input, a bad command line, a file that cannot be read or written
EXIT_INTERNAL: Final = 3  # a bug in policyc, or out of memory (in a worker too): not findings
EXIT_INTERRUPTED: Final = 130  # Ctrl-C (128 + SIGINT), as shells report it
EXIT_OUTPUT_CLOSED: Final = 141  # the reader of stdout went away (`| head`): 128 + SIGPIPE

# The errors only a write gives: where no file is named, the output is what failed.
# (EDQUOT is not in every system's errno: Windows has none.)
_WRITING: Final = frozenset(
    getattr(errno, name) for name in ("ENOSPC", "EDQUOT", "EFBIG") if hasattr(errno, name)
)
_MAX_SHOWN: Final = 2000  # a message is cut here: it never repeats a 10 MB value whole


def guarded(
    command: Callable[[], int],
    prog: str,
    usage: tuple[type[BaseException], ...],
    stopped: tuple[type[BaseException], ...] = (),
) -> int:
    """Run `command`; an error of `usage` is the user's (exit 2), one of `stopped` ended the
    command from outside (exit 3, its message saying what to do: no bug to report), anything
    else policyc's.  Stdout is flushed before returning, so that a reader gone away is 141."""
    _missing_streams_to_devnull()
    utf8_output()
    code = _guard(command, prog, usage, stopped)
    if code == EXIT_OUTPUT_CLOSED:
        return code
    # What is still in stdout's buffer (a small report, all of it) is written here, under the
    # guard: a reader gone before it (`| head -c0`) is then exit 141.  Left to the flush at
    # exit it would be "Exception ignored … BrokenPipeError" on stderr and exit 120.
    return _guard(lambda: _flushed(code), prog, (), ())


def _missing_streams_to_devnull() -> None:
    """A stream the command was started without (`2>&-`, `>&-`: Python then sets it to None)
    writes nowhere, as `2>/dev/null` would: the exit code still says what happened.  Writing
    to None was an AttributeError, in the guard's own message too, which escaped it: exit 1,
    read by CI as findings, for a file that could not be read."""
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115


def utf8_output() -> None:
    """Stdout and stderr write UTF-8 whatever the locale (LANG=C on an old Python,
    PYTHONIOENCODING=latin-1): the reports are documented as UTF-8 and their Chinese text has
    no other encoding to fall back on; in the locale's it failed halfway through a report.
    Each stream keeps its handler of what cannot be encoded (lone surrogates)."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)  # None: a StringIO, no stream at all
        encoding = getattr(stream, "encoding", None) or "utf-8"
        if reconfigure is not None and codecs.lookup(encoding).name != "utf-8":
            # A stream that cannot be changed is left as it is: the guard still catches
            # what it then fails to write.
            with contextlib.suppress(OSError, ValueError):
                reconfigure(encoding="utf-8", errors=stream.errors)


def _flushed(code: int) -> int:
    if sys.stdout is not None:
        sys.stdout.flush()
    return code


def _guard(
    command: Callable[[], int],
    prog: str,
    usage: tuple[type[BaseException], ...],
    stopped: tuple[type[BaseException], ...],
) -> int:
    try:
        return command()
    except usage as error:
        return _fail(prog, str(error), EXIT_USAGE)
    except stopped as error:
        return _fail(prog, str(error), EXIT_INTERNAL)
    except SystemExit as exit_:  # argparse: 2 for a bad command line, 0 for --help
        code = exit_.code
        return code if isinstance(code, int) else (EXIT_OK if code is None else EXIT_USAGE)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _drop_stdout()
        return EXIT_OUTPUT_CLOSED
    except OSError as error:
        # The environment, not a bug: a symlink loop, a name too long, a full disk.
        where = f": {error.filename}" if error.filename else ""
        if not where and error.errno in _WRITING:
            # Nothing names the file: stdout (a report to a full disk, `> /dev/full`).
            where = " (writing the output)"
            _drop_stdout()
        return _fail(prog, f"{error.strerror or error}{where}", EXIT_USAGE)
    except MemoryError:
        return _fail(prog, "internal error: out of memory", EXIT_INTERNAL)
    except Exception as error:  # a bug in policyc, not in the input
        if os.environ.get("POLICYC_DEBUG"):
            raise
        return _fail(
            prog,
            f"internal error: {type(error).__name__}: {error} "
            "(set POLICYC_DEBUG=1 to see where; please report it)",
            EXIT_INTERNAL,
        )


def _drop_stdout() -> None:
    """Nothing more can be written to stdout: what its buffer holds is dropped, so that
    Python's flush at exit does not fail again ("Exception ignored …", exit 120)."""
    with contextlib.suppress(OSError, ValueError):  # a stdout with no file: nothing to drop
        fileno = sys.stdout.fileno()
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fileno)
        os.close(devnull)


def shorten(text: str) -> str:
    """`text` cut to a readable length: a message never repeats a 10 MB value."""
    if len(text) <= _MAX_SHOWN:
        return text
    return f"{text[: _MAX_SHOWN - 40]}… (cut; {len(text):,} characters)"


def _fail(prog: str, message: str, code: int) -> int:
    first_line = " ".join(shorten(message).split("\n"))
    with contextlib.suppress(OSError, ValueError):  # stderr closed too: the code still says it
        sys.stderr.write(f"{prog}: {first_line}\n")
    return code
