"""The API loads the embedding model in the background once it is up.

The model loads lazily so start-up never waits for torch; the warm-up makes sure the first
semantic query after a start does not wait for it either. The embedders here are stand-ins
that record calls (the real model's loading is exercised by the semantic tests): what is
under test is whether the server asks for the model, not the model.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient

from casework.app import create_app
from casework.bootstrap import build_runtime
from casework.search import service
from casework.search.embedder import EmbeddingUnavailable
from tests.conftest import test_settings
from tests.search.test_embedding_stage import RecordingEmbedder


class UnloadableEmbedder:
    name = "missing-model"
    dimensions = 8

    def embed(self, texts: list[str]) -> np.ndarray:
        raise EmbeddingUnavailable("EMBEDDING_MODEL='missing-model' is not a model folder")


def test_the_server_loads_the_model_after_start_without_a_query(tmp_path: Path) -> None:
    embedder = RecordingEmbedder()
    settings = test_settings(tmp_path / "data", semantic_search=True)
    with TestClient(create_app(settings, embedder=embedder)) as client:
        deadline = time.monotonic() + 10
        while embedder.calls == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert embedder.calls == 1
        assert client.get("/healthz").status_code == 200


def test_no_warm_up_when_semantic_search_or_the_warm_up_is_off(tmp_path: Path) -> None:
    for overrides in ({"semantic_search": False}, {"semantic_search": True,
                                                   "embedding_warmup": False}):
        embedder = RecordingEmbedder()
        runtime = build_runtime(test_settings(tmp_path / "data", **overrides),
                                embedder=embedder)
        try:
            assert service.warm_up(runtime) is None
            assert embedder.calls == 0
        finally:
            runtime.close()


def test_a_model_that_cannot_load_is_reported_not_raised(tmp_path: Path) -> None:
    settings = test_settings(tmp_path / "data", semantic_search=True)
    runtime = build_runtime(settings, embedder=UnloadableEmbedder())
    try:
        warm = service.warm_up(runtime)
        assert warm is not None and warm.result(timeout=10) is False
    finally:
        runtime.close()
    recording = RecordingEmbedder()
    runtime = build_runtime(settings, embedder=recording)
    try:
        warm = service.warm_up(runtime)
        assert warm is not None and warm.result(timeout=10) is True
        assert recording.asked == ["warm-up"]
    finally:
        runtime.close()
