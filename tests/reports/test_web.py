"""The collection page's report and saved questions, as a browser posts its forms: save the
question just asked, ask for a report in one click, download it from the page, delete the
question."""

import hashlib

from tests.conftest import create_collection, ingest
from tests.fixtures.accounts import signed_in
from tests.reports.conftest import FILES, wait_for_report


def test_save_a_question_then_report_from_the_collection_page(client):
    collection = create_collection(client, "Harbour v Northgate")
    ingest(client, collection["id"], *FILES)
    browser, csrf = signed_in(client)
    question = "Who chaired the meeting in Leeds?"
    asked = browser.get("/ask", params={"q": question, "collection_id": collection["id"]})
    assert "Save this question" in asked.text
    saved = browser.post(f"/collections/{collection['id']}/saved-questions",
                         data={"csrf_token": csrf, "question": question},
                         follow_redirects=False)
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/collections/{collection['id']}#saved-questions"
    page = browser.get(f"/collections/{collection['id']}").text
    assert f"<h3>{question}</h3>" in page and "Minutes of 12 May" in page
    unsigned = browser.post(f"/collections/{collection['id']}/reports", data={})
    assert unsigned.status_code == 403  # no CSRF token: refused

    asked_for = browser.post(f"/collections/{collection['id']}/reports",
                             data={"csrf_token": csrf}, follow_redirects=False)
    assert asked_for.status_code == 303
    report = client.get(f"/api/v1/collections/{collection['id']}/reports").json()["items"][0]
    report = wait_for_report(client, report["id"])
    page = browser.get(f"/collections/{collection['id']}").text
    pdf = {f["format"]: f for f in report["files"]}["pdf"]
    assert f'href="/reports/{report["id"]}/download?format=pdf"' in page
    assert f'<code class="sha">{pdf["sha256"]}</code>' in page
    download = browser.get(f"/reports/{report['id']}/download", params={"format": "pdf"})
    assert download.status_code == 200
    assert hashlib.sha256(download.content).hexdigest() == pdf["sha256"]

    question_id = client.get(
        f"/api/v1/collections/{collection['id']}/saved-questions").json()[0]["id"]
    deleted = browser.post(
        f"/collections/{collection['id']}/saved-questions/{question_id}/delete",
        data={"csrf_token": csrf}, follow_redirects=False)
    assert deleted.status_code == 303
    assert client.get(f"/api/v1/collections/{collection['id']}/saved-questions").json() == []
