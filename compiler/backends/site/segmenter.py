"""jieba, which Material's search segments Chinese with, given the policy vocabulary.

Once a process for each term: `jieba.add_word` without a frequency suggests one from what
jieba holds, and adds it to jieba's total, so that a term given again in the next build of the
same process (`policyc serve` rebuilds, tests build several sites) changed how other words
were cut: 临时救助金 was 临时 救助金 in the first build's search index and 临时救助 金 in the
third.  This module is imported by name (not loaded from a path as MkDocs loads the hook), so
its memory of the terms given is the process's.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

# The terms given to jieba in this process.
_GIVEN: set[str] = set()


def feed_jieba(terms: Iterable[str]) -> None:
    """Give jieba each of `terms` it was not given in this process, in order."""
    try:
        import jieba
    except ImportError:  # Material then indexes Chinese without segmenting: search is worse
        logging.getLogger("mkdocs.hooks.policyc").warning(
            "jieba is not installed: Chinese search will not segment words (pip install jieba)"
        )
        return
    for term in terms:
        if term not in _GIVEN:
            jieba.add_word(term)
            _GIVEN.add(term)
