"""The root of every error policyc raises, compiler and runtime alike.

It lives in the runtime because the runtime is copied verbatim into each generated validator
package and may import nothing outside itself; the compiler re-exports it as
`compiler.errors.PolicycError`.  Catching it catches any error that policyc itself reports
(bad input, an unreadable calendar, an unknown clause), never a bug in Python or a library.
"""

from __future__ import annotations


class PolicycError(Exception):
    """An error of policyc's own, with a message meant for the user."""


class OutOfMemory(PolicycError):
    """A run stopped for want of memory under a limit the user can raise (the DuckDB engine's
    `--memory-limit`): exit 3, as Python's own MemoryError, but with what to do.  Neither bad
    input (2) nor findings (1)."""
