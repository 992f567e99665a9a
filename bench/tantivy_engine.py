"""tantivy as a keyword engine for casework's chunks: the index, its query mapping and a build.

bench/keyword_engines.py compares this engine with casework's FTS5 search; the engine
itself (schema, casework query syntax mapped to tantivy queries, a timed build) is kept
here, apart from the comparison, so the measuring script reads as measurements and the
engine can be reused or replaced on its own. (This is the 2026-11-26 prototype, one index
with a workspace field; casework's engine is search/tantivy_index.py.) `tantivy` is None
when it is not installed (see INSTALL).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from casework.search.query import ParsedQuery
from harness import MemoryWatch, mib, rss_bytes

try:
    import tantivy
except ImportError:  # pragma: no cover - the message is the point
    tantivy = None


TANTIVY_VERSION = "0.27.0"
INSTALL = f".venv/bin/pip install tantivy=={TANTIVY_VERSION}"
WRITER_HEAP_BYTES = 64_000_000
WRITER_THREADS = 1  # one writer thread: what a process sharing 2 cores with search would use
PREFIX_EXPANSIONS = 64  # a prefix becomes an OR of at most this many indexed terms


# --- tantivy -----------------------------------------------------------------------------

def installed_version() -> str:
    from importlib.metadata import version

    return version("tantivy")


def query_analyzer() -> Any:
    """The same chain as tantivy's built-in `en_stem`, for the query side.

    tantivy-py's Query.term_query/phrase_query take terms as indexed, without analysing
    them: a query word must be lower-cased and stemmed here or it matches nothing.
    """
    return (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
            .filter(tantivy.Filter.remove_long(40))
            .filter(tantivy.Filter.lowercase())
            .filter(tantivy.Filter.stemmer("english"))
            .build())


class TantivyKeywordIndex:
    """A tantivy index of chunks: chunk id (u64), workspace (raw term), text (en_stem)."""

    def __init__(self, path: Path) -> None:
        builder = tantivy.SchemaBuilder()
        builder.add_unsigned_field("chunk_id", stored=False, indexed=True, fast=True)
        builder.add_text_field("workspace", stored=False, tokenizer_name="raw",
                               index_option="basic")
        builder.add_text_field("text", stored=False, tokenizer_name="en_stem",
                               index_option="position")
        self.schema = builder.build()
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self.index = tantivy.Index(self.schema, path=str(path))
        self.index.config_reader(reload_policy="manual")  # reload() after each commit
        self.analyzer = query_analyzer()

    def writer(self) -> Any:
        return self.index.writer(heap_size=WRITER_HEAP_BYTES, num_threads=WRITER_THREADS)

    @staticmethod
    def document(chunk_id: int, workspace_id: str, body: str) -> Any:
        doc = tantivy.Document()
        # add_unsigned, not Document(chunk_id=...): a Python int is taken as i64 there and
        # the commit fails with "Expected a U64".
        doc.add_unsigned("chunk_id", chunk_id)
        doc.add_text("workspace", workspace_id)
        doc.add_text("text", body)
        return doc

    def delete_query(self, chunk_ids: list[int]) -> Any:
        # delete_documents_by_term("chunk_id", 7) deletes nothing on a u64 field (the int
        # becomes an i64 term); a term(-set) query built against the schema works.
        if len(chunk_ids) == 1:
            return tantivy.Query.term_query(self.schema, "chunk_id", chunk_ids[0])
        return tantivy.Query.term_set_query(self.schema, "chunk_id", chunk_ids)

    def _word(self, word: str) -> Any | None:
        """A query word as FTS5 treats a quoted token: one stem, or a phrase of several."""
        tokens = self.analyzer.analyze(word)
        if not tokens:
            return None
        if len(tokens) == 1:
            return tantivy.Query.term_query(self.schema, "text", tokens[0])
        return tantivy.Query.phrase_query(self.schema, "text", tokens)

    def _prefix(self, searcher: Any, prefix: str) -> Any | None:
        """FTS5 stems the prefix too ("configuration*" finds "configur…"); so does this.

        Query.regex_query would match the same terms but scores every match 1.0; an OR
        of the expanded terms is scored with BM25, as FTS5 scores a prefix.
        """
        tokens = self.analyzer.analyze(prefix)
        if not tokens:
            return None
        if len(tokens) > 1:
            return tantivy.Query.phrase_prefix_query(self.schema, "text", tokens)
        expanded = searcher.terms_with_prefix("text", tokens[0], limit=PREFIX_EXPANSIONS)
        if not expanded:
            return None
        return tantivy.Query.boolean_query([
            (tantivy.Occur.Should, tantivy.Query.term_query(self.schema, "text", term))
            for term, _ in expanded])

    def query(self, searcher: Any, parsed: ParsedQuery, workspace_id: str | None) -> Any | None:
        """casework's query as tantivy's: required phrases AND (any word or prefix).

        `workspace_id` None leaves out the workspace clause (an index per workspace).
        """
        optional = [q for q in (self._word(t) for t in parsed.terms) if q is not None]
        optional += [q for q in (self._prefix(searcher, p) for p in parsed.prefixes)
                     if q is not None]
        required = []
        for words in parsed.phrases:
            tokens = [token for word in words for token in self.analyzer.analyze(word)]
            if len(tokens) == 1:
                required.append(tantivy.Query.term_query(self.schema, "text", tokens[0]))
            elif tokens:
                required.append(tantivy.Query.phrase_query(self.schema, "text", tokens))
        if not optional and not required:
            return None
        clauses = [(tantivy.Occur.Must, q) for q in required]
        if optional:
            any_word = tantivy.Query.boolean_query(
                [(tantivy.Occur.Should, q) for q in optional])
            if not clauses and workspace_id is None:
                return any_word  # a pure OR of terms: the block-max WAND path
            clauses.append((tantivy.Occur.Must, any_word))
        if workspace_id is not None:
            workspace = tantivy.Query.term_query(self.schema, "workspace", workspace_id)
            clauses.append((tantivy.Occur.Must, tantivy.Query.const_score_query(workspace, 0.0)))
        return tantivy.Query.boolean_query(clauses)

    def search(self, parsed: ParsedQuery, *, workspace_id: str | None, limit: int,
               count: bool = False) -> list[tuple[int, float]]:
        """(chunk id, BM25) best first. `count=True` (tantivy-py's default) also counts
        every match; nothing here needs the count."""
        searcher = self.index.searcher()
        query = self.query(searcher, parsed, workspace_id)
        if query is None:
            return []
        hits = searcher.search(query, limit, count=count).hits
        ids = searcher.fast_field_values("chunk_id", [address for _, address in hits])
        return [(int(chunk_id), float(hit_score))
                for (hit_score, _), chunk_id in zip(hits, ids, strict=True)]

    def disk_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.path.iterdir() if p.is_file())


def build_tantivy(path: Path, rows: list[tuple[int, str, str]]) -> tuple[
        TantivyKeywordIndex, dict[str, Any]]:
    """A fresh index of `rows` (chunk id, workspace, text): timings, size, memory."""
    rss_before = rss_bytes()
    with MemoryWatch() as memory:
        memory.enter("build")
        engine = TantivyKeywordIndex(path)
        started = time.perf_counter()
        writer = engine.writer()
        for chunk_id, workspace_id, body in rows:
            writer.add_document(engine.document(chunk_id, workspace_id, body))
        added = time.perf_counter()
        writer.commit()
        committed = time.perf_counter()
        writer.wait_merging_threads()  # consumes the writer; merges done
        merged = time.perf_counter()
        del writer
        engine.index.reload()
        memory.enter("built")
    searcher = engine.index.searcher()
    figures = {
        "documents": searcher.num_docs, "segments": searcher.num_segments,
        "add_documents_s": round(added - started, 2),
        "commit_s": round(committed - added, 2),
        "merge_wait_s": round(merged - committed, 2),
        "total_s": round(merged - started, 2),
        "disk_mib": mib(engine.disk_bytes()),
        "rss_growth_peak_during_build_mib": mib(memory.peaks.get("build", 0) - rss_before),
        "rss_growth_after_build_mib": mib(rss_bytes() - rss_before),
        "writer": {"heap_bytes": WRITER_HEAP_BYTES, "threads": WRITER_THREADS},
    }
    return engine, figures
