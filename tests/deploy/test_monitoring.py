"""The monitoring pack: alert rules pass promtool (syntax and unit tests), the dashboard and
the alerts only query metrics that casework really exports."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest
import yaml

from casework.observability.metrics import EXPORTED_METRICS
from tests.conftest import service_missing
from tests.deploy.conftest import DEPLOY

MONITORING = DEPLOY / "monitoring"
PROMQL_WORDS = {"sum", "rate", "increase", "max", "min", "by", "without", "and", "or",
                "unless", "on", "ignoring", "histogram_quantile", "clamp_min", "avg",
                "count", "bool", "offset"}
SERIES_SUFFIXES = ("_bucket", "_sum", "_count")


@pytest.fixture(scope="module")
def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        service_missing("promtool is not installed (Debian: apt-get install prometheus)")
    return path


@pytest.mark.parametrize("args", [
    ["check", "rules", "alerts.yml"],
    ["check", "config", "prometheus.yml"],
    ["test", "rules", "alerts.test.yml"],
])
def test_promtool_accepts_the_rules_and_their_unit_tests(promtool, args):
    result = subprocess.run([promtool, *args], cwd=MONITORING, capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def metric_names(expr: str) -> set[str]:
    expr = re.sub(r'"[^"]*"', "", expr)
    expr = re.sub(r"\{[^}]*\}", "", expr)
    expr = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", "", expr)
    expr = re.sub(r"\[[^\]]*\]", "", expr)
    names = set(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", expr)) - PROMQL_WORDS
    return {n for n in names if not re.fullmatch(r"e\d*|\d.*", n)}


def base_name(name: str) -> str:
    for suffix in SERIES_SUFFIXES:
        if name.endswith(suffix) and name[: -len(suffix)] in EXPORTED_METRICS:
            return name[: -len(suffix)]
    return name


def test_the_export_list_matches_a_real_scrape(client):
    client.get("/health")
    text = client.get("/metrics").text
    families = set(re.findall(r"^# TYPE (\S+) ", text, re.MULTILINE))
    assert families <= set(EXPORTED_METRICS)
    # Connection gauges come from PostgreSQL's statistics, so SQLite does not report them.
    assert set(EXPORTED_METRICS) - families <= {"database_connections",
                                                "database_max_connections"}


def test_the_dashboard_parses_and_queries_only_exported_metrics():
    dashboard = json.loads((MONITORING / "grafana-dashboard.json").read_text())
    expressions = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    assert len(expressions) >= 10
    queried = {base_name(n) for e in expressions for n in metric_names(e)}
    assert queried <= set(EXPORTED_METRICS), queried - set(EXPORTED_METRICS)
    for required in ("http_requests_total", "http_request_duration_seconds",
                     "document_processing_seconds", "query_response_seconds",
                     "job_queue_depth", "active_connections"):
        assert required in queried


def test_alerts_query_only_exported_metrics():
    rules = yaml.safe_load((MONITORING / "alerts.yml").read_text())
    expressions = [r["expr"] for g in rules["groups"] for r in g["rules"]]
    queried = {base_name(n) for e in expressions for n in metric_names(e)}
    assert queried <= set(EXPORTED_METRICS) | {"up"}, queried - set(EXPORTED_METRICS)


def test_prometheus_scrapes_casework_with_the_compose_metrics_token():
    """Production answers /metrics only with a bearer token: the scrape config sends one,
    and in the development stack it is the token casework is given."""
    config = yaml.safe_load((MONITORING / "prometheus.yml").read_text())
    (job,) = [j for j in config["scrape_configs"] if j["job_name"] == "casework"]
    assert job["authorization"]["type"] == "Bearer"
    token_file = MONITORING / job["authorization"]["credentials_file"]
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    env = compose["x-casework"]["environment"]
    assert token_file.read_text().strip() == env["METRICS_TOKEN"]
    mounts = compose["services"]["prometheus"]["volumes"]
    assert any(m.startswith("./monitoring/casework-token:") for m in mounts)
