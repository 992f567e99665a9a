"""Which layer each module of casework belongs to: imports run from a higher layer to a
lower one (or within a layer), never up. docs/architecture.md shows the same table."""

from __future__ import annotations

ENTRY, HTTP, SERVICES, RUNTIME, BASE = 5, 4, 3, 2, 1
NAMES = {ENTRY: "entry points", HTTP: "web and API", SERVICES: "domain services",
         RUNTIME: "runtime (the seams' type)", BASE: "core, storage, indexes, models"}

# The composition root and the processes' front doors.
ENTRY_MODULES = {"casework.app", "casework.bootstrap"}
ENTRY_PACKAGES = {"cli"}
# HTTP: the web UI, the API's shared dependencies, and every domain's router and schemas.
HTTP_PACKAGES = {"web", "api"}
HTTP_MODULE_NAMES = {"router", "schemas", "deps", "middleware", "mount"}
# Below the services: what has no business rule and imports no service.
BASE_PACKAGES = {"core", "storage", "db"}
BASE_MODULE_NAMES = {"models", "job_kinds"}
BASE_MODULES = {
    # The search engines behind the KeywordIndex / VectorIndex / Embedder seams.
    *(f"casework.search.{name}" for name in (
        "boilerplate", "cache", "chunking", "embedder", "embedder_onnx", "embedder_runtime",
        "filters", "fts5_plan", "keyword_index", "keyword_log", "keyword_log_pg",
        "keyword_tables", "model_tokenizer", "tantivy_index", "tantivy_pg_rescore",
        "tantivy_postgres", "tantivy_query", "tantivy_rescore", "tantivy_shard",
        "pgvector_index", "postgres_bm25", "postgres_plan", "query", "snippets",
        "stored_vectors", "vector_index")),
    # The other implementations the runtime holds: mail, parser processes, metrics,
    # rate limits, the usage meter (and the failure classes the sandbox raises).
    # (The parser process itself, ingest.sandbox_child, runs the extraction services.)
    "casework.accounts.mail", "casework.ingest.sandbox", "casework.jobs.failures",
    # Every domain's tables in one metadata: it imports models only.
    "casework.schema",
    "casework.observability.metrics", "casework.security.ratelimit", "casework.usage.meter",
    # The answer cache the runtime holds (beside the search cache it may share).
    "casework.ask.cache",
    # The named-entity model the runtime holds (loaded on first use).
    "casework.entities.recognizer",
}


def layer_of(module: str) -> int:
    parts = module.split(".")
    package, name = (parts[1] if len(parts) > 1 else ""), parts[-1]
    if module in ENTRY_MODULES or package in ENTRY_PACKAGES:
        return ENTRY
    if package in HTTP_PACKAGES or name in HTTP_MODULE_NAMES:
        return HTTP
    if module == "casework.runtime":
        return RUNTIME
    if package in BASE_PACKAGES or name in BASE_MODULE_NAMES or module in BASE_MODULES:
        return BASE
    return SERVICES
