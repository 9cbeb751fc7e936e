"""jieba given the policy vocabulary once a process (compiler/backends/site/segmenter.py):
each build of `policyc serve` (or of the tests, in one process) segments as the first did.
On a tokenizer of the test's own: jieba's default one is the builds'."""

from __future__ import annotations

import pytest

from compiler.backends.site.segmenter import feed_jieba

TERMS = ["临时救助", "特困供养", "一事一议"]
TEXT = "临时救助金和特困供养资金一事一议"


def test_a_term_is_given_once_and_segmenting_stays_as_it_was() -> None:
    jieba = pytest.importorskip("jieba")
    tokenizer = jieba.Tokenizer()
    feed_jieba(TERMS, tokenizer)
    total, cut = tokenizer.total, tokenizer.lcut(TEXT)
    for _ in range(3):  # three more builds
        feed_jieba(TERMS, tokenizer)
    assert tokenizer.total == total
    assert tokenizer.lcut(TEXT) == cut
    assert "一事一议" in cut


def test_a_dictionary_loaded_again_is_given_the_terms_again() -> None:
    jieba = pytest.importorskip("jieba")
    tokenizer = jieba.Tokenizer()
    feed_jieba(TERMS, tokenizer)
    cut = tokenizer.lcut(TEXT)
    tokenizer.set_dictionary(tokenizer.get_dict_file().name)  # as Material's jieba_dict does
    feed_jieba(TERMS, tokenizer)
    assert tokenizer.lcut(TEXT) == cut
