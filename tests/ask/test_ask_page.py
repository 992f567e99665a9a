"""The ask page: a question box on search and on a collection, the answer with citations
that open the document at the cited page with the quoted passage highlighted."""

import html
import re

from tests.ask.conftest import CASE_REPORT, UNRELATED_QUESTION
from tests.conftest import OWNER_EMAIL, OWNER_PASSWORD, create_collection, ingest
from tests.fixtures.accounts import anonymous


def _browser(client):
    browser = anonymous(client)
    response = browser.post("/api/v1/auth/session", json={"email": OWNER_EMAIL,
                                                          "password": OWNER_PASSWORD})
    assert response.status_code == 200, response.text
    browser.headers["Accept"] = "text/html"
    return browser


def test_a_question_from_a_collection_page_links_to_the_highlighted_passage(semantic_client):
    client = semantic_client
    collection = create_collection(client, "Harbour Road")
    ingest(client, collection["id"], ("report.txt", CASE_REPORT.encode()), vectors=True)
    browser = _browser(client)

    page = browser.get(f"/collections/{collection['id']}").text
    assert 'action="/ask"' in page
    assert f'name="collection_id" value="{collection["id"]}"' in page
    assert 'action="/ask"' in browser.get("/search").text

    answer = browser.get("/ask", params={"q": "Was the CCTV working?",
                                         "collection_id": collection["id"]})
    assert answer.status_code == 200
    assert "switched off on 12 March" in answer.text
    links = re.findall(r'href="(/documents/[^"]+#passage)"', answer.text)
    assert links, answer.text
    target = html.unescape(links[0])
    document = browser.get(target)
    assert document.status_code == 200
    marked = re.search(r'<mark id="passage">(.*?)</mark>', document.text, re.S)
    assert marked is not None and "CCTV" in marked.group(1)
    start, end = (int(v) for v in re.search(r"start=(\d+)&end=(\d+)", target).groups())
    assert len(html.unescape(marked.group(1))) == end - start

    missing = browser.get("/ask", params={"q": UNRELATED_QUESTION})
    assert "Not found in the material." in missing.text and "#passage" not in missing.text

    usage = browser.get("/admin").text.split('id="usage"')[1].split("</section>")[0]
    assert "Questions (answered)" in usage and "<td>2 (1)</td>" in usage


def test_offsets_that_do_not_fit_the_page_highlight_nothing(client):
    collection = create_collection(client, "Harbour Road")
    document = ingest(client, collection["id"], ("report.txt", CASE_REPORT.encode()))[0]
    browser = _browser(client)
    page = browser.get(f"/documents/{document['id']}",
                       params={"page": 1, "start": 10, "end": 999_999})
    assert page.status_code == 200 and "<mark" not in page.text
    assert "CCTV system" in page.text
