"""Hybrid fusion: how keyword and semantic rankings combine (search.service.fuse).

Each engine's scores become standard scores over its own candidates and count equally, so a
passage that stands out from one engine's list carries the fused ranking, whichever engine
it is (docs/benchmarks.md#question-sets).
"""

from casework.search.service import fuse

# 100 candidates an engine might return: a flat tail below the first few.
TAIL = [(100 + i, 2.0 - i * 0.01) for i in range(97)]
SEMANTIC_TAIL = [(100 + i, 0.45 - i * 0.001) for i in range(97)]


def ids(ranked: list[tuple[int, float]]) -> list[int]:
    return [item for item, _ in ranked]


def test_a_keyword_match_that_stands_out_wins_over_a_semantic_lean() -> None:
    # Chunk 1 holds the exact identifier; semantically it is the weakest of the three.
    keyword = [(1, 14.0), (2, 3.1), (3, 2.9), *TAIL]
    semantic = [(3, 0.71), (2, 0.69), *SEMANTIC_TAIL, (1, 0.41)]
    assert ids(fuse(keyword, semantic, keyword_depth=100))[0] == 1


def test_a_clear_semantic_winner_wins_when_the_words_do_not_tell_passages_apart() -> None:
    keyword = [(1, 5.0), (2, 4.99), (3, 4.98), *[(100 + i, 4.97 - i * 0.01) for i in range(97)]]
    semantic = [(3, 0.80), (2, 0.46), *SEMANTIC_TAIL, (1, 0.40)]
    assert ids(fuse(keyword, semantic, keyword_depth=100))[0] == 3


def test_a_word_in_few_passages_counts_against_the_zero_score_of_all_the_others() -> None:
    # One keyword hit out of 100 candidates asked for: BM25 gave every other passage 0.
    semantic = [(3, 0.52), (2, 0.50), *SEMANTIC_TAIL, (1, 0.30)]
    assert ids(fuse([(1, 6.0)], semantic, keyword_depth=100))[:2] == [1, 3]
    # Without the depth the one hit is its own list's mean, and meaning alone decides.
    assert ids(fuse([(1, 6.0)], semantic))[0] == 3


def test_either_list_alone_keeps_its_order_and_ties_break_by_id() -> None:
    keyword = [(1, 14.0), (2, 3.1), (3, 2.9)]
    assert ids(fuse(keyword, [], keyword_depth=100)) == [1, 2, 3]
    assert ids(fuse([], [(3, 0.71), (2, 0.69), (1, 0.41)])) == [3, 2, 1]
    assert ids(fuse([(5, 1.0), (4, 1.0)], [])) == [4, 5]
    assert fuse([], []) == []
