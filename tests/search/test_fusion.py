"""Hybrid fusion: how keyword and semantic rankings combine, per kind of query."""

from casework.search.query import parse_query
from casework.search.service import fuse, semantic_share

# Chunk ids: 1 holds the exact identifier, 2 and 3 are about the same topic in other words.
KEYWORD = [(1, 14.0), (2, 3.1), (3, 2.9)]
SEMANTIC = [(3, 0.71), (2, 0.69), (1, 0.41)]


def test_short_queries_split_evenly_and_questions_lean_on_meaning() -> None:
    assert semantic_share(parse_query("CR-2024-0117")) == 0.5
    assert semantic_share(parse_query("forklift incident")) == 0.5
    assert semantic_share(parse_query(
        "who was injured when the forklift tipped over near the loading bay doors")) == 0.9
    assert 0.5 < semantic_share(parse_query("forklift incident loading bay")) < 0.9
    # Quoted phrases and prefixes ask for the wording itself, however long.
    assert semantic_share(parse_query('"loading bay" forklift tipped injured worker')) == 0.5
    assert semantic_share(parse_query("fork* tipped injured worker loading bay")) == 0.5


def test_a_strong_keyword_match_wins_a_short_query() -> None:
    ranked = fuse(KEYWORD, SEMANTIC, semantic_weight=semantic_share(parse_query("CR-2024")))
    assert ranked[0][0] == 1


def test_a_clear_semantic_winner_wins_a_question() -> None:
    question = parse_query("what did the witness say about the vehicle leaving the scene")
    ranked = fuse([(1, 5.0), (2, 4.8), (3, 4.7)], [(3, 0.80), (2, 0.45), (1, 0.40)],
                  semantic_weight=semantic_share(question))
    assert [item for item, _ in ranked] == [3, 1, 2]


def test_either_list_alone_keeps_its_order_and_ties_break_by_id() -> None:
    assert [i for i, _ in fuse(KEYWORD, [], semantic_weight=0.9)] == [1, 2, 3]
    assert [i for i, _ in fuse([], SEMANTIC, semantic_weight=0.5)] == [3, 2, 1]
    assert [i for i, _ in fuse([(5, 1.0), (4, 1.0)], [], semantic_weight=0.5)] == [4, 5]
