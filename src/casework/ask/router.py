"""Ask routes: the answer as JSON, or streamed as server-sent events."""

from __future__ import annotations

import json
from collections.abc import Iterator

from fastapi import APIRouter, BackgroundTasks
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from casework.api.deps import CanRead, ReadSessionDep, RuntimeDep
from casework.ask import service
from casework.ask.schemas import AskIn, AskOut
from casework.ask.service import Answer, Prepared, Question
from casework.core.errors import CaseworkError
from casework.runtime import Runtime

router = APIRouter(tags=["ask"])


def answer_out(answer: Answer) -> AskOut:
    return AskOut.model_validate(answer, from_attributes=True)


def _question(body: AskIn) -> Question:
    return Question(text=body.question, collection_id=body.collection_id,
                    document_ids=tuple(body.document_ids) if body.document_ids is not None
                    else None, mode=body.mode)


@router.post("/ask", response_model=AskOut)
async def ask(body: AskIn, session: ReadSessionDep, runtime: RuntimeDep,
              principal: CanRead, background: BackgroundTasks) -> AskOut:
    """Answer from the workspace's material, citing page and offsets. Asking reads: the
    read scope is enough."""
    prepared = await run_in_threadpool(
        service.prepare, session=session, runtime=runtime,
        workspace_id=principal.workspace_id, question=_question(body))
    answer = await run_in_threadpool(service.answer_question, runtime=runtime,
                                     prepared=prepared)
    background.add_task(service.record_question, runtime=runtime,
                        workspace_id=principal.workspace_id, answer=answer)
    return answer_out(answer)


def _event(name: str, data: object) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()


def _events(runtime: Runtime, prepared: Prepared) -> Iterator[bytes]:
    """`token` events as the answer is written (generated answers), then one `answer`
    event with the whole checked answer; `error` if it fails."""
    try:
        for item in service.generate(runtime=runtime, prepared=prepared) \
                if prepared.mode == service.AnswerMode.generated \
                else [service.extract(runtime=runtime, prepared=prepared)]:
            if isinstance(item, Answer):
                yield _event("answer", answer_out(item).model_dump(mode="json"))
                service.record_question(runtime=runtime, workspace_id=prepared.workspace_id,
                                        answer=item)
            else:
                yield _event("token", {"text": item})
    except CaseworkError as exc:
        yield _event("error", {"error": {"code": exc.code, "message": exc.message}})


@router.post("/ask/stream", response_class=StreamingResponse,
             responses={200: {"content": {"text/event-stream": {}}}})
async def ask_stream(body: AskIn, session: ReadSessionDep, runtime: RuntimeDep,
                     principal: CanRead) -> StreamingResponse:
    """The same answer as server-sent events: `token` events while a generator writes it,
    then an `answer` event (the JSON of POST /ask). Passages are retrieved before the
    stream starts, so a refusal is an ordinary JSON error."""
    prepared = await run_in_threadpool(
        service.prepare, session=session, runtime=runtime,
        workspace_id=principal.workspace_id, question=_question(body))
    return StreamingResponse(_events(runtime, prepared), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
