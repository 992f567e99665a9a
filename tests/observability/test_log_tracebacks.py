"""Tracebacks in the log are plain, in every format: no frame locals (an upload's buffers
printed with rich once took ~90 s and 25 MB of log per error)."""

from __future__ import annotations

import logging

import pytest

from casework.observability.logs import configure_logging
from tests.conftest import test_settings


@pytest.mark.parametrize("log_format", ["console", "json"])
def test_logged_tracebacks_carry_no_local_variables(tmp_path, capsys, log_format):
    configure_logging(test_settings(tmp_path, log_format=log_format))
    secret_buffer = "LOCAL-VALUE-" + "x" * 50  # noqa: F841 - what a rich traceback would print
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("casework.test").exception("unhandled error")
    err = capsys.readouterr().err
    assert "RuntimeError: boom" in err and "Traceback" in err
    assert "LOCAL-VALUE-" not in err and "locals" not in err
