"""Near-duplicates over HTTP: a re-scan (OCR noise), a re-ordered draft and a forwarded
copy join their original's group around the longest member; unrelated documents do not;
another workspace's copy is never grouped with ours."""

import random
import time

from tests.conftest import create_collection, ingest
from tests.fixtures.accounts import signed_in

PARAGRAPHS = [
    "The harbour authority agreed to replace the crane hoses before the winter storms, "
    "after the inspection in March found cracks in three of the four hydraulic lines.",
    "Payment for the repairs was made in cash to a contractor whose registration had "
    "lapsed, which the auditors flagged as irregular in their quarterly review.",
    "The board asked the operations manager to explain why the tender process was skipped "
    "and who approved the invoice that was later found in the shredding bin.",
    "Minutes of the meeting record that the manager said the work was urgent and that the "
    "usual contractors had no capacity until the following spring at the earliest.",
    "Counsel advised the board to preserve every e-mail about the repairs and to suspend "
    "the automatic deletion of messages older than ninety days until further notice.",
]
ORIGINAL = "\n\n".join(PARAGRAPHS)
UNRELATED = ("Canteen menu for the week: on Monday lentil soup with bread, on Tuesday "
             "baked fish with potatoes, on Wednesday vegetable curry and rice, on Thursday "
             "roast chicken, on Friday pizza. Coffee is free for volunteers all week.")


def _ocr_noise(text: str, rate: float, seed: int) -> str:
    rng = random.Random(seed)
    swaps = {"l": "1", "o": "0", "e": "c", "m": "rn", "i": "l", "s": "5"}
    return "".join(swaps.get(ch, ch) if rng.random() < rate else ch for ch in text)


def wait_for_near_duplicate_jobs(client, count: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        jobs = [j for j in client.get("/api/v1/jobs", params={"limit": 200}).json()
                if j["kind"] == "find_near_duplicates"]
        if len(jobs) >= count and all(j["status"] == "succeeded" for j in jobs):
            return
        assert time.monotonic() < deadline, jobs
        time.sleep(0.05)


def test_variants_are_grouped_around_the_longest_and_unrelated_are_not(client):
    collection = create_collection(client, "Harbour")
    variants = {
        "original.txt": ORIGINAL,
        "rescan.txt": _ocr_noise(ORIGINAL, 0.01, seed=1),
        "reordered.txt": "\n\n".join(PARAGRAPHS[2:] + PARAGRAPHS[:2]),
        "forwarded.txt": "---------- Forwarded message ---------\nFrom: Ann Lee "
                         "<ann@example.test>\nDate: 3 April\nSubject: repairs\n\n" + ORIGINAL,
        "menu.txt": UNRELATED,
        "menu-short.txt": "Canteen closed.",
    }
    docs = ingest(client, collection["id"], *((n, t.encode()) for n, t in variants.items()))
    ids = {d["filename"]: d["id"] for d in docs}
    wait_for_near_duplicate_jobs(client, len(docs))

    groups = client.get("/api/v1/near-duplicates",
                        params={"collection_id": collection["id"]}).json()
    assert groups["threshold"] == 0.8
    assert len(groups["groups"]) == 1
    group = groups["groups"][0]
    members = {m["filename"]: m for m in group["members"]}
    assert set(members) == {"original.txt", "rescan.txt", "reordered.txt", "forwarded.txt"}
    assert group["pivot_document_id"] == ids["forwarded.txt"]  # the longest
    assert group["members"][0]["similarity"] == 1.0
    assert all(0.8 <= m["similarity"] <= 1.0 for m in group["members"])

    shown = client.get(f"/api/v1/documents/{ids['rescan.txt']}").json()["near_duplicates"]
    assert shown["id"] == group["id"] and len(shown["members"]) == 4
    assert client.get(f"/api/v1/documents/{ids['menu.txt']}").json()["near_duplicates"] is None

    # A copy arriving later joins the group (incremental).
    later = ingest(client, collection["id"], ("copy.txt", (ORIGINAL + "\n\nThanks.").encode()))
    wait_for_near_duplicate_jobs(client, len(docs) + 1)
    group = client.get("/api/v1/near-duplicates").json()["groups"][0]
    assert later[0]["id"] in {m["document_id"] for m in group["members"]}
    # Deleting members leaves no group of one.
    for name in ("original.txt", "rescan.txt", "reordered.txt", "forwarded.txt"):
        assert client.delete(f"/api/v1/documents/{ids[name]}").status_code == 204
    assert client.get("/api/v1/near-duplicates").json()["groups"] == []


def test_near_duplicates_stay_in_their_workspace(client):
    ours = create_collection(client, "Ours")
    ingest(client, ours["id"], ("a.txt", ORIGINAL.encode()))
    other = client.post("/api/v1/workspaces", json={"name": "Other"}).json()
    theirs = {"X-Workspace": other["slug"]}
    client.headers.update(theirs)
    their_collection = create_collection(client, "Theirs")
    ingest(client, their_collection["id"], ("b.txt", ORIGINAL.encode() + b"\n\nPS."))
    wait_for_near_duplicate_jobs(client, 1)
    assert client.get("/api/v1/near-duplicates").json()["groups"] == []
    del client.headers["X-Workspace"]
    wait_for_near_duplicate_jobs(client, 1)
    assert client.get("/api/v1/near-duplicates").json()["groups"] == []
    assert client.get("/api/v1/near-duplicates", params={
        "collection_id": their_collection["id"]}).status_code == 404


def test_the_collection_page_and_the_document_page_show_the_group(client):
    collection = create_collection(client, "Harbour")
    docs = ingest(client, collection["id"], ("original.txt", ORIGINAL.encode()),
                  ("draft.txt", ("DRAFT\n\n" + ORIGINAL).encode()),
                  ("menu.txt", UNRELATED.encode()))
    ids = {d["filename"]: d["id"] for d in docs}
    wait_for_near_duplicate_jobs(client, 3)
    browser, _ = signed_in(client)
    page = browser.get(f"/collections/{collection['id']}/near-duplicates").text
    assert "original.txt" in page and "draft.txt" in page and "menu.txt" not in page
    assert "pivot" in page
    document = browser.get(f"/documents/{ids['draft.txt']}").text
    assert "Near duplicates" in document and f'href="/documents/{ids["original.txt"]}"' in document
    assert "Near duplicates" not in browser.get(f"/documents/{ids['menu.txt']}").text


def test_groups_come_a_page_at_a_time_largest_first(client):
    """A real case has thousands of groups: the list is paged, with the total."""
    collection = create_collection(client, "Many")
    files = []
    for n, paragraph in enumerate(PARAGRAPHS[:3]):
        text = f"Matter {n}. " + " ".join([paragraph] * 3)
        copies = 2 + n  # group sizes 2, 3 and 4
        files += [(f"g{n}-{c}.txt", (text + f"\n\nCopy {c}.").encode()) for c in range(copies)]
    docs = ingest(client, collection["id"], *files)
    wait_for_near_duplicate_jobs(client, len(docs))

    everything = client.get("/api/v1/near-duplicates").json()
    assert everything["total"] == 3
    assert [len(g["members"]) for g in everything["groups"]] == [4, 3, 2]
    first = client.get("/api/v1/near-duplicates", params={"limit": 2}).json()
    second = client.get("/api/v1/near-duplicates", params={"limit": 2, "offset": 2}).json()
    assert (first["total"], second["total"]) == (3, 3)
    assert [len(g["members"]) for g in first["groups"] + second["groups"]] == [4, 3, 2]
    past = client.get("/api/v1/near-duplicates", params={"limit": 2, "offset": 4}).json()
    assert (past["groups"], past["total"]) == ([], 3)  # past the last page: still the total
    scoped = client.get("/api/v1/near-duplicates", params={
        "collection_id": collection["id"], "limit": 1, "offset": 1}).json()
    assert scoped["total"] == 3 and [len(g["members"]) for g in scoped["groups"]] == [3]
    assert client.get("/api/v1/near-duplicates", params={"limit": 0}).status_code == 422
