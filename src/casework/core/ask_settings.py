"""The fields of `Settings` for asking questions: retrieval depth, the answer cache, and the
optional generator (any OpenAI-compatible chat-completions endpoint).

`Settings` (core/settings.py) inherits them, so there is still one settings object, read only
by `load_settings()`; they live here to keep core/settings.py readable, as the embedding
fields do.
"""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import BaseModel, Field, SecretStr, model_validator


class AskFields(BaseModel):
    """Fields only: never built on its own (`Settings` reads them from the environment)."""

    ask_passages: Annotated[int, Field(ge=1, le=50)] = Field(
        default=8, description="Passages retrieved (hybrid search) to answer a question from.")
    ask_min_confidence: Annotated[float, Field(ge=0, le=1)] = Field(
        default=0.4, description="Below this the extractive answer is 'not found in the "
        "material' rather than a weak guess. 0.4 refused 39 of 40 questions the material "
        "does not answer and answered 87 of 89 it does (docs/benchmarks.md#ask); higher "
        "refuses more and answers less.")
    ask_cache_seconds: Annotated[int, Field(ge=0)] = Field(
        default=600, description="Keep answers this long per workspace (0: off). Keys carry "
        "the workspace's index version, so an answer never outlives the content it cites.")
    ask_cache_entries: Annotated[int, Field(ge=1)] = Field(
        default=2000, description="Answers kept in memory per process (embedded shape; "
        "with REDIS_URL they are kept in Redis).")
    llm_base_url: str | None = Field(
        default=None, description="An OpenAI-compatible API (e.g. http://127.0.0.1:11434/v1 "
        "for Ollama, http://host:8000/v1 for vLLM): answers are then written by LLM_MODEL "
        "from the retrieved passages only. Unset: extractive answers, fully offline.")
    llm_api_key: SecretStr | None = Field(
        default=None, description="Sent as 'Authorization: Bearer'; local servers need none.")
    llm_model: str | None = Field(default=None, description="The model name the endpoint "
                                  "serves; required with LLM_BASE_URL.")
    llm_timeout_seconds: Annotated[float, Field(gt=0, le=600)] = Field(
        default=60.0, description="How long a generated answer may take in all (the first "
        "token, and the whole stream).")
    llm_max_tokens: Annotated[int, Field(ge=16, le=32_000)] = 600

    @model_validator(mode="after")
    def _check_generator(self) -> Self:
        if self.llm_base_url is not None:
            self.llm_base_url = self.llm_base_url.strip().rstrip("/") or None
        if self.llm_base_url and not self.llm_base_url.startswith(("http://", "https://")):
            raise ValueError("LLM_BASE_URL must be an http:// or https:// URL")
        if self.llm_base_url and not self.llm_model:
            raise ValueError("LLM_MODEL is required with LLM_BASE_URL: name the model the "
                             "endpoint serves (e.g. llama3.1:8b)")
        return self

    @property
    def generator_configured(self) -> bool:
        return bool(self.llm_base_url and self.llm_model)
