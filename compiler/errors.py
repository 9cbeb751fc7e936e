"""The root of the compiler's exceptions: every error class under compiler/ derives from it.

Defined in the runtime (standard library only, copied into generated packages), so that the
runtime's errors (FactError, RecordError, the calendar's) share the root with the compiler's.
"""

from __future__ import annotations

from compiler.runtime.errors import PolicycError

__all__ = ["PolicycError"]
