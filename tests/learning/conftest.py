"""Shared pieces of the learning tests: a workspace of tagged and untagged notes."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from casework.cli.main import app
from tests.conftest import create_collection, ingest

TOPICS = {
    "shipping": ["The container ship docked at the harbour quay with cargo for the port.",
                 "Cranes unloaded freight from the vessel at the docks overnight.",
                 "The ferry and the cargo ships waited outside the harbour for a berth.",
                 "Port authority logged the tanker arrival and the cargo manifest.",
                 "Dock workers secured the containers on the ship before it sailed.",
                 "The harbour pilot guided the vessel to the container terminal."],
    "finance": ["The board approved the quarterly budget and the audit of the accounts.",
                "Revenue and expenses were reconciled in the annual financial statement.",
                "The treasurer reported the invoice totals and the bank balance.",
                "Auditors reviewed the ledger, the payroll and the tax filings.",
                "The budget forecast shows higher costs and lower revenue this quarter.",
                "Shareholders received the dividend report and the balance sheet."],
    "weather": ["Heavy rain and strong wind flooded the streets during the storm.",
                "The forecast warns of thunder, hail and gusts over the hills tonight.",
                "Snow and freezing temperatures closed the mountain roads this week.",
                "The hurricane brought rainfall and storm surge to the coast.",
                "Meteorologists expect sunshine after the cold front and the showers.",
                "A heatwave with record temperatures followed the dry spring weather."],
}
UNTAGGED = {"storm-report.txt": "Gale force wind and heavy rain battered the town; the "
                                "storm flooded the river banks.",
            "cargo-note.txt": "The cargo vessel unloaded containers at the harbour docks."}


def tagged_workspace(client: TestClient, *, per_topic: int = 6) -> dict[str, str]:
    """Notes of three topics tagged by topic, plus untagged ones; their ids by filename."""
    collection = create_collection(client, "Learning")
    files = [(f"{topic}-{i}.txt", text.encode()) for topic, texts in TOPICS.items()
             for i, text in enumerate(texts[:per_topic])]
    files += [(name, text.encode()) for name, text in UNTAGGED.items()]
    documents = ingest(client, collection["id"], *files,
                       vectors=client.app.state.runtime.settings.semantic_search)
    ids = {d["filename"]: d["id"] for d in documents}
    for name, document_id in ids.items():
        if name in UNTAGGED:
            continue
        response = client.put(f"/api/v1/documents/{document_id}/tags",
                              json={"tags": [name.split("-")[0]]})
        assert response.status_code == 200, response.text
    return ids


def cli_environment(data_dir: Path, database_url: str | None, **extra: str) -> dict[str, str]:
    return {"DATA_DIR": str(data_dir), "DATABASE_URL": database_url or "",
            "ENVIRONMENT": "test", "SEMANTIC_SEARCH": "true", "ENTITY_EXTRACTION": "false",
            **extra}


def run_cli(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.output
