"""422, never 500: integer path and query parameters beyond 64 bits, time filters without a
time zone, impossible dates on the admin page.

The route table is walked, so a new route with an unbounded integer parameter fails here.
"""

from __future__ import annotations

import re

import pytest

from casework.api.ids import MAX_DATABASE_INT
from tests.conftest import OWNER_EMAIL, OWNER_PASSWORD, test_settings
from tests.fixtures.accounts import anonymous, api_routes

TOO_BIG = 2**64
ADMIN_KEY = "operator-key-" + "x" * 30


def _dependants(dependant):
    yield dependant
    for sub in dependant.dependencies:
        yield from _dependants(sub)


def integer_params(app):
    """(method, route path, 'path' or 'query', parameter name, its upper bound or None)."""
    found = []
    for route in api_routes(app):
        for dependant in _dependants(route.dependant):
            for kind, params in (("path", dependant.path_params),
                                 ("query", dependant.query_params)):
                for param in params:
                    if "int" not in str(param.field_info.annotation):
                        continue
                    bound = next((m.le for m in param.field_info.metadata
                                  if hasattr(m, "le")), None)
                    for method in sorted(route.methods - {"HEAD"}):
                        found.append((method, route.path, kind, param.alias, bound))
    return found


def _browser(client):
    browser = anonymous(client)
    response = browser.post("/api/v1/auth/session",
                            json={"email": OWNER_EMAIL, "password": OWNER_PASSWORD})
    assert response.status_code == 200, response.text
    return browser


def test_every_integer_parameter_has_a_bound_the_database_can_hold(client):
    params = integer_params(client.app)
    assert any(p[1] == "/api/v1/jobs/{job_id}" for p in params)  # the walk sees them
    unbounded = [p for p in params if p[4] is None or p[4] > MAX_DATABASE_INT]
    assert not unbounded, unbounded


def test_every_integer_parameter_answers_2_to_the_64_with_422(tmp_path, make_client):
    client = make_client(test_settings(tmp_path / "d", admin_api_key=ADMIN_KEY))
    browser = _browser(client)
    for method, path, kind, name, _bound in integer_params(client.app):
        caller = client if path.startswith("/api/") else browser
        url = re.sub(r"\{(\w+)\}", lambda m, n=name: str(TOO_BIG) if m.group(1) == n else "x",
                     path)
        params = {name: TOO_BIG} if kind == "query" else None
        headers = {"X-Admin-Key": ADMIN_KEY} if "/operator/" in path else None
        response = caller.request(method, url, params=params, headers=headers)
        assert response.status_code == 422, (method, path, name, response.text[:300])


@pytest.mark.parametrize("value", ["2024-01-01T00:00:00", "2024-01-01"])
@pytest.mark.parametrize("name", ["since", "until"])
@pytest.mark.parametrize("path", ["/api/v1/audit", "/api/v1/audit.csv"])
def test_audit_times_without_a_time_zone_are_422(client, path, name, value):
    response = client.get(path, params={name: value})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_input"
    assert client.get(path, params={name: value + ("Z" if "T" in value else "T00:00:00Z")}
                      ).status_code == 200


def test_an_impossible_date_on_the_admin_page_is_422(client):
    browser = _browser(client)
    response = browser.get("/admin", params={"since": "2024-13-45"},
                           headers={"Accept": "text/html"})
    assert response.status_code == 422
    assert browser.get("/admin", params={"since": "2024-12-01"}).status_code == 200
