"""`casework ask` without a server: retrieval and the answer in this process.

It answers in the API's own shape (`AskOut`), so cli/ask.py prints one way whichever side
answered, and logs the question as the API does.
"""

from __future__ import annotations

from typing import Any

import typer

from casework.ask import service as ask_service
from casework.ask.router import answer_out
from casework.cli.context import open_runtime, workspace_id
from casework.cli.options import err_console
from casework.core.database import transaction
from casework.core.errors import CaseworkError
from casework.core.settings import Settings
from casework.workspaces import service as workspaces_service


def ask_in_process(settings: Settings, *, body: dict[str, Any],
                   workspace: str | None) -> dict[str, Any]:
    """The API's JSON answer, computed here; a refusal is a red line and exit 1."""
    runtime = open_runtime(settings)
    try:
        ws_id = workspace_id(runtime, workspace or workspaces_service.DEFAULT_SLUG)
        documents = body.get("document_ids")
        question = ask_service.Question(
            text=body["question"], collection_id=body.get("collection_id"),
            document_ids=tuple(documents) if documents else None,
            mode=ask_service.AnswerMode(body["mode"]))
        try:
            with transaction(runtime.read_sessions) as session:
                prepared = ask_service.prepare(session=session, runtime=runtime,
                                               workspace_id=ws_id, question=question)
            answer = ask_service.answer_question(runtime=runtime, prepared=prepared)
        except CaseworkError as exc:
            err_console.print(f"[red]{exc.message}[/red]")
            raise typer.Exit(1) from None
        ask_service.record_question(runtime=runtime, workspace_id=ws_id, answer=answer)
    finally:
        runtime.close()
    return answer_out(answer).model_dump(mode="json")
