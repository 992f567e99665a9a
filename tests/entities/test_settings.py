"""The installation's own reference patterns and phone region: validated at start, used by
the extraction."""

import pytest

from casework.core.settings import SettingsError, load_settings
from tests.conftest import create_collection, ingest, test_settings
from tests.entities.conftest import wait_for_entities


@pytest.mark.parametrize("patterns, message", [
    (["(unclosed"], "is not a regular expression"),
    (["x?"], "matches the empty text"),
    (["a"] * 21, "at most 20"),
])
def test_a_bad_reference_pattern_stops_the_start_with_its_name(tmp_path, patterns, message):
    with pytest.raises(SettingsError) as refused:
        load_settings(_env_file=None, data_dir=tmp_path, entity_reference_patterns=patterns)
    assert "ENTITY_REFERENCE_PATTERNS" in str(refused.value) and message in str(refused.value)


def test_reference_patterns_and_the_phone_region_come_from_the_settings(
        tmp_path, database_url, shape_overrides, make_client):
    client = make_client(test_settings(
        tmp_path / "data", database_url, entity_extraction=True, entity_phone_region="US",
        entity_reference_patterns=[r"\bMatter (\d{5}-\d{3})\b"], **shape_overrides))
    collection = create_collection(client)
    document = ingest(client, collection["id"], (
        "memo.txt", b"Matter 20417-002: call the client on (512) 555-0187. Not CR-2024-0117."))[0]
    wait_for_entities(client, [document["id"]])
    items = client.get("/api/v1/entities").json()["items"]
    keys = {(e["kind"], e["key"]) for e in items}
    assert ("reference", "20417-002") in keys  # the group, without "Matter"
    assert ("phone", "+15125550187") in keys  # read as a US number
    assert not [k for k in keys if k[1] == "CR-2024-0117"]  # the defaults were replaced
