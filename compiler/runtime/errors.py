"""The root of every error policyc raises, compiler and runtime alike.

It lives in the runtime because the runtime is copied verbatim into each generated validator
package and may import nothing outside itself; the compiler re-exports it as
`compiler.errors.PolicycError`.  Catching it catches any error that policyc itself reports
(bad input, an unreadable calendar, an unknown clause), never a bug in Python or a library.
"""

from __future__ import annotations


class PolicycError(Exception):
    """An error of policyc's own, with a message meant for the user."""
