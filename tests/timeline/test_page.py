"""The timeline page: dated sentences grouped by date down the page, each citation opening
its document's page with the sentence highlighted; filters by entity and date range."""

import html
import re

from tests.conftest import OWNER_EMAIL, OWNER_PASSWORD
from tests.fixtures.accounts import anonymous


def _browser(client):
    browser = anonymous(client)
    response = browser.post("/api/v1/auth/session", json={"email": OWNER_EMAIL,
                                                          "password": OWNER_PASSWORD})
    assert response.status_code == 200, response.text
    browser.headers["Accept"] = "text/html"
    return browser


def _dates(page):
    return re.findall(r'<time datetime="([0-9-]+)">', page)


def test_the_page_lists_dated_sentences_and_links_each_to_its_passage(timeline_client,
                                                                       dated_case):
    collection, docs = dated_case
    browser = _browser(timeline_client)
    url = f"/collections/{collection['id']}/timeline"
    assert f'href="{url}"' in browser.get(f"/collections/{collection['id']}").text

    page = browser.get(url)
    assert page.status_code == 200
    # One heading per date, in order; the month first, then its days.
    assert _dates(page.text) == ["2024-03", "2024-03-01", "2024-03-03", "2024-03-05",
                                 "2024-04-02"]
    assert "March 2024</time>" in page.text and "3 March 2024</time>" in page.text
    assert "7 dated sentences" in page.text
    links = re.findall(r'href="(/documents/[^"]+#passage)"', page.text)
    assert len(links) == 7
    target = html.unescape(links[0])
    assert target.startswith(f"/documents/{docs['a-diary.txt']['id']}?page=1&")
    document = browser.get(target)
    marked = re.search(r'<mark id="passage">(.*?)</mark>', document.text, re.S)
    assert marked is not None
    assert html.unescape(marked.group(1)) == "In March 2024 the landlord changed the locks."


def test_the_page_filters_by_entity_and_date_range(timeline_client, dated_case):
    client = timeline_client
    collection, _ = dated_case
    browser = _browser(client)
    url = f"/collections/{collection['id']}/timeline"
    amounts = client.get("/api/v1/entities", params={"kind": "money"}).json()["items"]
    paid = next(a for a in amounts if a["key"] == "GBP 4500.00")

    page = browser.get(url).text
    # The entity filter offers the collection's entities, dates left out.
    assert f'<option value="{paid["id"]}" >GBP 4,500.00 (money)</option>' in page
    assert "(date)</option>" not in page
    # Each event names what else its sentence mentions, as a link filtering by it.
    assert re.search(rf'href="\?entity={paid["id"]}&amp;from=&amp;to="[^>]*>GBP 4,500.00</a>',
                     page)

    filtered = browser.get(url, params={"entity": paid["id"]}).text
    assert _dates(filtered) == ["2024-04-02"]
    assert "2 dated sentences mentioning GBP 4,500.00" in filtered
    assert f'<option value="{paid["id"]}" selected>' in filtered

    ranged = browser.get(url, params={"from": "2024-03-02", "to": "2024-03-04", "entity": ""})
    assert _dates(ranged.text) == ["2024-03", "2024-03-03"]
    assert 'name="from" value="2024-03-02"' in ranged.text

    nothing = browser.get(url, params={"from": "2025-01-01"}).text
    assert "No dated sentences match these filters." in nothing

    bad = browser.get(url, params={"from": "March"})
    assert bad.status_code == 422 and "YYYY-MM-DD" in bad.text
    assert browser.get("/collections/nope/timeline").status_code == 404
