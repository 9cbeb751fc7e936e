"""Which names a policy id may not take, and why: the one table of reserved ids.

A policy id names a file (`policies/<id>.policy`, `policies/sources/<id>.txt`), a module of the
generated package (`policyc_validators/<id>.py`) and a page of the site.  So it may not be the
name of a shared file of the project, a name the package already uses, or a Python keyword
(`import`, `class`: the package would not import).  The checker (E119) and `policyc new` both
ask this table.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

POLICY_ID: Final = re.compile(r"[a-z_][a-z0-9_]*")

_SHARED = "a shared file of the project (policies/{id}.policy)"
_PACKAGE = "a name the generated package uses (policyc_validators/{id})"
# The site's sections list their pages on `<folder>/index.md` (diffs/, tables/; documents/,
# decisions/, timelimits/ when the nav has no room for them: compiler/backends/site/nav.py):
# a policy's page there would be written twice.
_SITE = "the name of the site's section index pages (documents/{id}.md, diffs/{id}.md)"

RESERVED: Final[Mapping[str, str]] = MappingProxyType(
    {
        "vocabulary": _SHARED,
        "concepts": _SHARED,
        "runtime": _PACKAGE,
        "schemas": _PACKAGE,
        "index": _SITE,
    }
)


def reserved_because(policy_id: str) -> str | None:
    """Why `policy_id` cannot be a policy id, or None if it can."""
    if policy_id in RESERVED:
        return RESERVED[policy_id].format(id=policy_id)
    if keyword.iskeyword(policy_id):
        return "a Python keyword (the generated module could not be imported)"
    if policy_id.startswith("__") and policy_id.endswith("__"):
        return "a special Python name (__init__, __main__ … are the package's own modules)"
    return None
