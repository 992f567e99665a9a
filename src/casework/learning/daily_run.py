"""The daily run: per workspace, learn tags from recent examples, store the model, suggest.

Used by the `daily_run` job (the embedded scheduler, Celery beat) and by
`casework worker daily-run` (a cron job). Each workspace's result is committed on its own,
so one workspace's failure neither hides nor undoes another's.
"""

from __future__ import annotations

import logging
import pickle
import time
from dataclasses import dataclass

import numpy as np

from casework.core.database import transaction, utcnow
from casework.learning import artefacts, service
from casework.learning.models import LearningRun, RunStatus
from casework.learning.training import Skip, TagModel, train_and_evaluate
from casework.runtime import Runtime
from casework.webhooks import service as webhooks_service
from casework.webhooks.events import WebhookEvent

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RunSummary:
    workspace_id: str
    status: str
    reason: str | None
    examples: int
    accuracy: float | None
    macro_f1: float | None
    suggestions: int
    duration_seconds: float
    model_version: str | None


def run_daily(*, runtime: Runtime, horizon_days: int,
              workspace_ids: list[str] | None = None) -> list[RunSummary]:
    """Train, evaluate, store and apply a tag model for each workspace."""
    if workspace_ids is None:
        with transaction(runtime.read_sessions) as session:
            workspace_ids = service.workspace_ids(session=session)
    store = artefacts.open_model_store(runtime.settings)
    return [run_workspace(runtime=runtime, store=store, workspace_id=workspace_id,
                          horizon_days=horizon_days) for workspace_id in workspace_ids]


def run_workspace(*, runtime: Runtime, store: artefacts.ModelStore, workspace_id: str,
                  horizon_days: int) -> RunSummary:
    settings = runtime.settings
    started_at, started = utcnow(), time.perf_counter()
    embedder = runtime.embedder.name if settings.semantic_search else None
    run = LearningRun(workspace_id=workspace_id, horizon_days=horizon_days,
                      started_at=started_at, status=RunStatus.failed, examples=0, held_out=0,
                      tags=[], suggestions=0, duration_seconds=0.0)
    suggestions: list[service.NewSuggestion] = []
    try:
        with transaction(runtime.read_sessions) as session:
            examples = service.load_examples(session=session, workspace_id=workspace_id,
                                             embedder=embedder, horizon_days=horizon_days)
        run.examples = len(examples.document_ids)
        model, evaluation = train_and_evaluate(
            examples, min_documents=settings.learning_min_documents,
            min_tag_examples=settings.learning_min_tag_examples, embedder=embedder)
        del examples
        run.held_out, run.tags = evaluation.held_out, evaluation.tags
        run.accuracy, run.macro_f1 = evaluation.accuracy, evaluation.macro_f1
        data = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
        version = artefacts.new_version()
        store.write(workspace_id, version, data)
        run.model_version, run.model_sha256 = version, artefacts.sha256_of(data)
        suggestions = _suggest(runtime, workspace_id, model)
        run.status = RunStatus.succeeded
    except Skip as exc:
        run.status, run.reason = RunStatus.skipped, str(exc)
    except Exception as exc:
        log.exception("daily run failed for workspace %s", workspace_id)
        run.status, run.reason = RunStatus.failed, f"{type(exc).__name__}: {exc}"[:500]
    run.duration_seconds = round(time.perf_counter() - started, 3)
    run.finished_at = utcnow()
    run.suggestions = len(suggestions)
    with transaction(runtime.sessions) as session:
        service.record_run(session=session, run=run)
        if run.status == RunStatus.succeeded:
            service.replace_pending_suggestions(session=session, workspace_id=workspace_id,
                                                run_id=run.id, suggestions=suggestions)
        summary = _summary(run)
        webhooks_service.emit(session=session, workspace_id=workspace_id,
                              event=WebhookEvent.daily_run_finished,
                              payload={"run_id": run.id, **_payload(summary),
                                       "tags": run.tags},
                              notify=runtime.notify_jobs)
    if run.status == RunStatus.succeeded:
        # After the commit: the run rows of the MODEL_KEEP newest versions, which loaders
        # trust, all name versions that are still there.
        artefacts.prune(store, workspace_id, keep=settings.model_keep)
    log.info("daily run finished", extra={"workspace_id": workspace_id, **_payload(summary)})
    return summary


def _suggest(runtime: Runtime, workspace_id: str, model: TagModel
             ) -> list[service.NewSuggestion]:
    """The model's confident tags for the workspace's untagged documents, minus the pairs
    people rejected before."""
    settings = runtime.settings
    with transaction(runtime.read_sessions) as session:
        untagged = service.untagged_documents(session=session, workspace_id=workspace_id)
        rejected = service.rejected_pairs(session=session, workspace_id=workspace_id)
        found: list[service.NewSuggestion] = []
        for start in range(0, len(untagged), 1000):
            ids = untagged[start:start + 1000]
            texts, vectors = service.document_features(
                session=session, workspace_id=workspace_id, embedder=model.embedder,
                document_ids=ids)
            if vectors.shape[1] != model.dims:  # no vectors in this batch, or another model
                vectors = np.zeros((len(ids), model.dims), dtype=np.float32)
            scores = model.predict_proba(texts, vectors)
            for row, document_id in enumerate(ids):
                best = np.argsort(-scores[row])[:service.SUGGESTIONS_PER_DOCUMENT]
                for column in best:
                    confidence, tag = float(scores[row, column]), model.tags[column]
                    if (confidence >= settings.learning_min_confidence
                            and (document_id, tag) not in rejected):
                        found.append(service.NewSuggestion(document_id, tag, confidence))
    return found


def _summary(run: LearningRun) -> RunSummary:
    return RunSummary(workspace_id=run.workspace_id, status=run.status, reason=run.reason,
                      examples=run.examples, accuracy=run.accuracy, macro_f1=run.macro_f1,
                      suggestions=run.suggestions, duration_seconds=run.duration_seconds,
                      model_version=run.model_version)


def _payload(summary: RunSummary) -> dict[str, object]:
    return {field: getattr(summary, field) for field in RunSummary.__dataclass_fields__}


def load_current_model(*, runtime: Runtime, workspace_id: str) -> TagModel | None:
    """The workspace's newest model, checked against the checksum its run recorded."""
    with transaction(runtime.read_sessions) as session:
        run = service.latest_model_run(session=session, workspace_id=workspace_id)
        if run is None or not run.model_version or not run.model_sha256:
            return None
        version, sha256 = run.model_version, run.model_sha256
    store = artefacts.open_model_store(runtime.settings)
    model = artefacts.load_verified(store.read(workspace_id, version), expected_sha256=sha256)
    if not isinstance(model, TagModel):
        raise artefacts.ModelStoreError(f"model {version} is not a tag model")
    return model
