"""Chunking keeps every passage inside the window, overlapping, with true offsets."""

import itertools

from casework.ingest.chunking import chunk_page

TEXT = " ".join(f"Sentence number {i} says something about topic {i % 7}." for i in range(400))


def test_passages_are_bounded_overlapping_and_cover_the_page():
    passages = list(chunk_page(TEXT, page=4, size=500, overlap=80))
    assert len(passages) > 10
    assert all(len(p.text) <= 500 for p in passages)
    assert all(p.page == 4 for p in passages)
    assert [p.ordinal for p in passages] == list(range(len(passages)))
    for passage in passages:
        assert TEXT[passage.start_char:passage.end_char] == passage.text
    for before, after in itertools.pairwise(passages):
        assert after.start_char < before.end_char  # overlap
        assert after.start_char > before.start_char  # progress
    assert passages[0].start_char == 0
    assert passages[-1].end_char == len(TEXT.rstrip())


def test_passages_end_at_sentence_boundaries_when_possible():
    passages = list(chunk_page(TEXT, page=1, size=500, overlap=0))
    assert all(p.text.endswith(".") for p in passages[:-1])


def test_text_without_spaces_is_still_cut():
    blob = "x" * 2500
    passages = list(chunk_page(blob, page=1, size=1000, overlap=100))
    assert all(len(p.text) <= 1000 for p in passages)
    assert passages[-1].end_char == 2500


def test_blank_page_gives_no_passage():
    assert list(chunk_page("   \n\n  ", page=1, size=1000, overlap=100)) == []
