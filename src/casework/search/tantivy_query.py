"""casework's queries and passages in tantivy's terms: the analyser, the schema, the
query mapping.

Kept apart from the index's upkeep (search/tantivy_index.py) because it is what decides
which passages match and how they score, and it must treat words as FTS5 does: the same
query must find the same passages whichever engine answers
(tests/search/test_tantivy_keyword.py).
"""

from __future__ import annotations

import math
from typing import Any

import tantivy

from casework.search.query import ParsedQuery

TOKENIZER = "casework"
PREFIX_EXPANSIONS = 64  # a prefix becomes an OR of at most this many indexed terms


def analyzer() -> Any:
    """Words as FTS5's `porter unicode61 remove_diacritics 2` cuts them, near enough: split
    at every non-alphanumeric character, lower-cased, accents folded, English-stemmed
    (Porter2 here, Porter there: the two differ on a few words, e.g. FTS5 makes "one"
    "on"). Used for the text and for query words, which `term_query` does not analyse."""
    return (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
            .filter(tantivy.Filter.remove_long(255))
            .filter(tantivy.Filter.lowercase())
            .filter(tantivy.Filter.ascii_fold())
            .filter(tantivy.Filter.stemmer("english"))
            .build())


def schema() -> Any:
    builder = tantivy.SchemaBuilder()
    builder.add_unsigned_field("chunk_id", stored=False, indexed=True, fast=True)
    builder.add_text_field("text", stored=False, tokenizer_name=TOKENIZER,
                           index_option="position")
    return builder.build()


def document(chunk_id: int, body: str) -> Any:
    doc = tantivy.Document()
    # add_unsigned: a Python int given to Document(...) is an i64 and the commit fails.
    doc.add_unsigned("chunk_id", chunk_id)
    doc.add_text("text", body)
    return doc


class TantivyQueries:
    """casework's parsed query (search/query.py) as a tantivy query over one index."""

    def __init__(self, *, fts5_idf: bool = True) -> None:
        self.schema = schema()
        self.analyzer = analyzer()
        self.fts5_idf = fts5_idf

    def _term(self, searcher: Any, term: str) -> Any:
        """One indexed term, weighted with FTS5's IDF instead of Lucene's (`fts5_idf`).

        Lucene's IDF, ln(1 + (N - n + 0.5) / (n + 0.5)), keeps a word found in most
        passages worth ~0.7; FTS5's, ln((N - n + 0.5) / (n + 0.5)), makes it worth ~0
        (floored at 1e-6). The term-frequency part of BM25 is the same formula in both, so
        boosting each term by the ratio of the two IDFs ranks by FTS5's BM25 (up to the
        stemmer and tantivy's one-byte lengths), and block-max WAND stays exact: a boost
        scales a term's score bound with its scores.
        """
        query = tantivy.Query.term_query(self.schema, "text", term)
        if not self.fts5_idf:
            return query
        total, found = searcher.num_docs, searcher.doc_freq("text", term)
        if not found:
            return query
        lucene = math.log(1 + (total - found + 0.5) / (found + 0.5))
        fts5 = max(math.log((total - found + 0.5) / (found + 0.5)), 1e-6)
        return tantivy.Query.boost_query(query, fts5 / lucene)

    def _word(self, searcher: Any, word: str) -> Any | None:
        """A query word as FTS5 treats a quoted token: one stem, or a phrase of several."""
        tokens = self.analyzer.analyze(word)
        if not tokens:
            return None
        if len(tokens) == 1:
            return self._term(searcher, tokens[0])
        return tantivy.Query.phrase_query(self.schema, "text", tokens)

    def _prefix(self, searcher: Any, prefix: str) -> Any | None:
        """An OR of the indexed terms starting with the stemmed prefix, scored with BM25 as
        FTS5 scores a prefix (`regex_query` would score every match 1.0)."""
        tokens = self.analyzer.analyze(prefix)
        if not tokens:
            return None
        if len(tokens) > 1:
            return tantivy.Query.phrase_prefix_query(self.schema, "text", tokens)
        expanded = searcher.terms_with_prefix("text", tokens[0], limit=PREFIX_EXPANSIONS)
        if not expanded:
            return None
        return tantivy.Query.boolean_query([
            (tantivy.Occur.Should, self._term(searcher, term)) for term, _ in expanded])

    def compile(self, searcher: Any, parsed: ParsedQuery) -> Any | None:
        """casework's query as tantivy's: required phrases AND (any word or prefix); None
        when nothing can match."""
        optional = [q for q in (self._word(searcher, t) for t in parsed.terms)
                    if q is not None]
        optional += [q for q in (self._prefix(searcher, p) for p in parsed.prefixes)
                     if q is not None]
        required = []
        for words in parsed.phrases:
            tokens = [token for word in words for token in self.analyzer.analyze(word)]
            if len(tokens) == 1:
                required.append(tantivy.Query.term_query(self.schema, "text", tokens[0]))
            elif tokens:
                required.append(tantivy.Query.phrase_query(self.schema, "text", tokens))
        for near in parsed.near:
            tokens = [token for word in near.words for token in self.analyzer.analyze(word)]
            if len(tokens) != 2:
                return None  # a word of nothing indexable matches nothing
            # Tantivy's slop keeps the order: either order is two phrases.
            required.append(tantivy.Query.boolean_query([
                (tantivy.Occur.Should, tantivy.Query.phrase_query(
                    self.schema, "text", pair, slop=near.distance))
                for pair in (tokens, tokens[::-1])]))
        if parsed.phrases and len(required) < len(parsed.phrases) + len(parsed.near):
            return None  # a required phrase of nothing indexable matches nothing
        any_word = (tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in optional])
                    if optional else None)
        if not required:
            return any_word  # a pure OR of terms: tantivy's block-max WAND path
        clauses = [(tantivy.Occur.Must, q) for q in required]
        if any_word is not None:
            clauses.append((tantivy.Occur.Must, any_word))
        elif parsed.terms or parsed.prefixes:
            return None  # words that match nothing: FTS5's AND of them matches nothing
        return tantivy.Query.boolean_query(clauses)
