"""Sentry is on only when SENTRY_DSN is set; nothing is initialised otherwise."""

from __future__ import annotations

import sentry_sdk

from casework.observability.sentry import configure_sentry
from tests.conftest import test_settings


def test_sentry_stays_off_without_a_dsn(tmp_path):
    assert configure_sentry(test_settings(tmp_path, None)) is False


def test_sentry_reports_when_a_dsn_is_set(tmp_path):
    events = []
    settings = test_settings(tmp_path, None, sentry_dsn="http://public@127.0.0.1:9/1")
    try:
        assert configure_sentry(settings) is True
        client = sentry_sdk.get_client()
        assert client.is_active()
        assert client.options["environment"] == "test"
        client.transport = None  # nothing leaves the machine in this test
        events.append(client.options["release"])
    finally:
        sentry_sdk.init()  # back to the disabled client for the other tests
    assert events[0].startswith("casework@")
