"""The timeline API as a client uses it: every dated sentence in date order, quoted verbatim
from its page, filtered by entity and date range; other workspaces and bad input refused."""

from tests.conftest import create_collection


def _timeline(client, collection_id, **params):
    response = client.get(f"/api/v1/collections/{collection_id}/timeline", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def _page_text(client, document_id, number):
    pages = client.get(f"/api/v1/documents/{document_id}/pages").json()
    return next(p["text"] for p in pages if p["number"] == number)


def test_every_dated_sentence_in_date_order_quoted_from_its_page(timeline_client, dated_case):
    client = timeline_client
    collection, docs = dated_case
    body = _timeline(client, collection["id"])
    events = body["events"]
    assert body["total"] == len(events) == 7
    assert [(e["date"], e["title"]) for e in events] == [
        ("2024-03", "a-diary.txt"),
        ("2024-03-01", "a-diary.txt"), ("2024-03-01", "b-letter.txt"),
        ("2024-03-03", "a-diary.txt"), ("2024-03-05", "a-diary.txt"),
        ("2024-04-02", "a-diary.txt"), ("2024-04-02", "b-letter.txt")]
    for event in events:
        text = _page_text(client, event["document_id"], event["page"])
        assert text[event["start"]:event["end"]] == event["sentence"]
        assert event["document_id"] == docs[event["title"]]["id"]
    # One sentence, three dates: three events quoting it, each citing the same span.
    break_in = [e for e in events if "break-in" in e["sentence"]]
    assert {e["date"] for e in break_in} == {"2024-03-01", "2024-03-03", "2024-03-05"}
    assert len({(e["start"], e["end"]) for e in break_in}) == 1
    assert break_in[0]["sentence"].startswith("On 3 March 2024 the tenant")
    assert events[0]["sentence"] == "In March 2024 the landlord changed the locks."
    # Paging: the same order, a slice at a time.
    second = _timeline(client, collection["id"], limit=3, offset=3)
    assert second["events"] == events[3:6] and second["total"] == 7


def test_filters_by_date_range_and_by_entity(timeline_client, dated_case):
    client = timeline_client
    collection, _ = dated_case
    march = _timeline(client, collection["id"], **{"from": "2024-03-02", "to": "2024-03-31"})
    # The month overlaps the range; 1 March is before it.
    assert [e["date"] for e in march["events"]] == ["2024-03", "2024-03-03", "2024-03-05"]
    assert march["total"] == 3
    april = _timeline(client, collection["id"], **{"from": "2024-04-01"})
    assert {e["date"] for e in april["events"]} == {"2024-04-02"}

    amounts = client.get("/api/v1/entities", params={"kind": "money"}).json()["items"]
    paid = next(a for a in amounts if a["key"] == "GBP 4500.00")
    by_amount = _timeline(client, collection["id"], entity=paid["id"])
    assert by_amount["total"] == 2 == len(by_amount["events"])
    assert {e["title"] for e in by_amount["events"]} == {"a-diary.txt", "b-letter.txt"}
    for event in by_amount["events"]:
        assert "£4,500" in event["sentence"] and paid["id"] in event["entity_ids"]
    # The letter's other sentence names the date but not the amount.
    assert all("first notified" not in e["sentence"] for e in by_amount["events"])
    paged = _timeline(client, collection["id"], entity=paid["id"], limit=1, offset=1)
    assert paged["events"] == by_amount["events"][1:] and paged["total"] == 2
    both = _timeline(client, collection["id"], entity=paid["id"], to="2024-03-31")
    assert both == {"events": [], "total": 0, "limit": 100, "offset": 0}


def test_bad_parameters_are_refused_with_the_error_shape(timeline_client, dated_case):
    client = timeline_client
    collection, _ = dated_case
    url = f"/api/v1/collections/{collection['id']}/timeline"
    for params in ({"from": "2024-13-01"}, {"to": "yesterday"}, {"limit": 0},
                   {"limit": 501}, {"offset": -1}, {"entity": "x" * 65},
                   {"from": "2024-04-01", "to": "2024-03-01"}):
        response = client.get(url, params=params)
        assert response.status_code == 422, (params, response.text)
        assert response.json()["error"]["code"] == "invalid_input", params
    missing = client.get(url, params={"entity": "0" * 32})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/collections/nope/timeline").status_code == 404


def test_another_workspace_cannot_read_the_timeline(timeline_client, dated_case):
    client = timeline_client
    collection, _ = dated_case
    amounts = client.get("/api/v1/entities", params={"kind": "money"}).json()["items"]
    other = client.post("/api/v1/workspaces", json={"name": "Other"}).json()
    client.headers["X-Workspace"] = other["slug"]
    try:
        refused = client.get(f"/api/v1/collections/{collection['id']}/timeline")
        assert refused.status_code == 404
        assert refused.json()["error"]["code"] == "not_found"
        mine = create_collection(client, "Mine")
        assert _timeline(client, mine["id"])["events"] == []
        # Their entity is not an entity here either.
        assert client.get(f"/api/v1/collections/{mine['id']}/timeline",
                          params={"entity": amounts[0]["id"]}).status_code == 404
    finally:
        del client.headers["X-Workspace"]
