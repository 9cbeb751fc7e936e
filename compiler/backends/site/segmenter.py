"""jieba, which Material's search segments Chinese with, given the policy vocabulary.

Once a process for each term: `jieba.add_word` without a frequency suggests one from what
jieba holds, and adds it to jieba's total, so that a term given again in the next build of the
same process (`policyc serve` rebuilds, tests build several sites) changed how other words
were cut: 临时救助金 was 临时 救助金 in the first build's search index and 临时救助 金 in the
third.  A dictionary jieba loads again (Material's search does, at each build, when mkdocs.yml
names one: `search.jieba_dict`) has none of the terms: they are given again.  This module is
imported by name (not loaded from a path as MkDocs loads the hook), so what it remembers is
the process's.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Iterable
from typing import Any

# The terms given to each of jieba's tokenizers (jieba's own, `jieba.dt`, in a build) since
# it last loaded its dictionary.
_GIVEN: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()


def feed_jieba(terms: Iterable[str], tokenizer: Any = None) -> None:
    """Give jieba's `tokenizer` (its default one if None) each of `terms` it was not given
    since it loaded its dictionary, in order."""
    try:
        import jieba
    except ImportError:  # Material then indexes Chinese without segmenting: search is worse
        logging.getLogger("mkdocs.hooks.policyc").warning(
            "jieba is not installed: Chinese search will not segment words (pip install jieba)"
        )
        return
    tokenizer = jieba.dt if tokenizer is None else tokenizer
    given = _GIVEN.setdefault(tokenizer, set())
    if not tokenizer.initialized:  # its dictionary is to be loaded, afresh
        given.clear()
    for term in terms:
        if term not in given:
            tokenizer.add_word(term)
            given.add(term)
