"""jieba given the policy vocabulary once a process (compiler/backends/site/segmenter.py):
each build of `policyc serve` (or of the tests, in one process) segments as the first did."""

from __future__ import annotations

import pytest

from compiler.backends.site.segmenter import feed_jieba


def test_a_term_is_given_once_and_segmenting_stays_as_it_was() -> None:
    jieba = pytest.importorskip("jieba")
    terms = ["临时救助", "特困供养", "一事一议"]
    feed_jieba(terms)
    total, cut = jieba.dt.total, jieba.lcut("临时救助金和特困供养资金")
    for _ in range(3):  # three more builds
        feed_jieba(terms)
    assert jieba.dt.total == total
    assert jieba.lcut("临时救助金和特困供养资金") == cut
