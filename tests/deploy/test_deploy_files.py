"""The deploy artefacts parse, run casework's real commands, and agree with Settings."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from casework.core.settings import SettingsError, load_settings
from tests.deploy.conftest import DEPLOY, NOT_CASEWORK, REQUIRED_IN_PRODUCTION, ROOT

COMMANDS = {"serve", "worker", "scheduler", "migrate", "backup", "health"}
SECRET = "x" * 48  # stands in for a real secret wherever a file refers to one


def assert_known(names: set[str], setting_names: set[str], where: str) -> None:
    unknown = sorted(names - setting_names - NOT_CASEWORK)
    assert not unknown, f"{where} sets variables casework does not read: {unknown}"


def assert_production_ready(values: dict[str, str], where: str) -> None:
    missing = sorted(REQUIRED_IN_PRODUCTION - set(values))
    assert not missing, f"{where} leaves required production settings unset: {missing}"
    assert values["ENVIRONMENT"] == "production", where
    # The Settings class itself (with its production checks) must accept the values.
    load_settings(_env_file=None, **{k.lower(): v for k, v in values.items()
                                     if k not in NOT_CASEWORK})


def assert_casework_command(command: list[str] | str, where: str) -> None:
    words = shlex.split(command) if isinstance(command, str) else command
    assert words[0] == "casework" and words[1] in COMMANDS, f"{where}: {words}"


def test_dockerfile_is_multi_stage_non_root_with_a_healthcheck(setting_names):
    text = (DEPLOY / "Dockerfile").read_text()
    joined = re.sub(r"\\\n", " ", text)
    instructions = [line.strip() for line in joined.splitlines()
                    if line.strip() and not line.lstrip().startswith("#")]
    froms = [i for i in instructions if i.startswith("FROM ")]
    assert len(froms) >= 2 and " AS " in froms[0]
    users = [i.split()[1] for i in instructions if i.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    assert any(i.startswith("HEALTHCHECK ") and "/health" in i for i in instructions)
    # The default image embeds on ONNX and carries no torch; the torch build arg pins the
    # CPU wheel before the project (an unpinned torch pulls a CUDA build of several GB).
    torch = next(n for n, i in enumerate(instructions) if "torch==2.13.0" in i)
    project = next(n for n, i in enumerate(instructions) if re.search(r"pip install \"?\.", i))
    assert torch < project, "torch must be installed (pinned, CPU) before the project"
    assert 'if [ "$EXTRAS" = torch ]' in instructions[torch], "torch only when asked for"
    env_names = set()
    for instruction in instructions:
        if instruction.startswith("ENV "):
            env_names |= {m.group(1) for m in re.finditer(r"(\w+)=", instruction[4:])}
    assert_known(env_names, setting_names, "Dockerfile")
    cmd = next(i for i in reversed(instructions) if i.startswith("CMD "))
    assert '"casework", "serve"' in cmd


def compose(name: str) -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / name).read_text())


def casework_services(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: service for name, service in document["services"].items()
            if isinstance(service.get("command"), list)
            and service["command"][0] == "casework"}


def compose_env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    # ${NAME:?message} / ${NAME:-default}: an operator supplies the value at deploy time.
    return {k: re.sub(r"\$\{[^}]*\}", SECRET, str(v)) for k, v in env.items()}


@pytest.mark.parametrize("name", ["docker-compose.yml", "docker-compose.prod.yml"])
def test_compose_files_run_every_process_with_known_settings(name, setting_names):
    document = compose(name)
    services = casework_services(document)
    commands = {s["command"][1] for s in services.values()}
    assert {"serve", "worker", "scheduler", "migrate"} <= commands
    assert {"postgres", "redis"} <= set(document["services"])
    for service_name, service in services.items():
        assert_casework_command(service["command"], f"{name}:{service_name}")
        assert_known(set(compose_env(service)), setting_names, f"{name}:{service_name}")
    if name == "docker-compose.yml":
        assert {"minio"} & set(document["services"]), "object storage for development"
    else:
        for service_name in ("api", "worker", "scheduler"):
            values = compose_env(services[service_name])
            values["DATABASE_URL"] = "postgresql+psycopg://casework:pw@postgres/casework"
            assert_production_ready(values, f"{name}:{service_name}")


def kubernetes_documents() -> list[dict[str, Any]]:
    documents = []
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        documents += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return documents


def test_kubernetes_manifests_are_complete_and_agree_with_settings(setting_names):
    documents = [d for d in kubernetes_documents() if d.get("kind") != "Kustomization"]
    kinds = [d["kind"] for d in documents]
    for kind in ("ConfigMap", "Secret", "Deployment", "Service", "Ingress",
                 "HorizontalPodAutoscaler", "Job", "CronJob"):
        assert kind in kinds, kind
    config = next(d for d in documents if d["kind"] == "ConfigMap")["data"]
    secret = next(d for d in documents if d["kind"] == "Secret")["stringData"]
    assert_known(set(config) | set(secret), setting_names, "k8s config/secret")
    with pytest.raises(SettingsError, match="example value"):  # as shipped: refused
        assert_production_ready({**config, **secret}, "k8s config + secret")
    # What an operator fills in for each CHANGE-ME marker.
    filled = {k: str(v).replace("CHANGE-ME", SECRET) for k, v in secret.items()}
    assert_production_ready({**config, **filled}, "k8s config + secret")
    deployments = {d["metadata"]["name"]: d for d in documents if d["kind"] == "Deployment"}
    assert set(deployments) == {"casework-api", "casework-worker", "casework-scheduler"}
    workloads = [*deployments.values(),
                 *(d for d in documents if d["kind"] == "Job"),
                 *(d["spec"]["jobTemplate"] for d in documents if d["kind"] == "CronJob")]
    for workload in workloads:
        pod = workload["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        for container in pod["containers"]:
            assert_casework_command(container["command"], workload.get("metadata", {}))
            assert container["resources"]["requests"] and container["resources"]["limits"]
            assert_known({e["name"] for e in container.get("env", [])}, setting_names,
                         f"k8s {container['name']}")
            refs = {next(iter(ref.values()))["name"] for ref in container["envFrom"]}
            assert refs == {"casework-config", "casework-secrets"}
    for deployment in deployments.values():
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert "livenessProbe" in container, deployment["metadata"]["name"]
    api = deployments["casework-api"]["spec"]["template"]["spec"]["containers"][0]
    assert api["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    assert api["livenessProbe"]["httpGet"]["path"] == "/health"
    migrate = next(d for d in documents if d["kind"] == "Job")
    assert migrate["spec"]["template"]["spec"]["containers"][0]["command"] == [
        "casework", "migrate"]


def test_fly_toml_runs_api_and_worker_processes(setting_names):
    text = (DEPLOY / "fly.toml").read_text()
    config = tomllib.loads(text)
    assert set(config["processes"]) == {"api", "worker"}
    for command in config["processes"].values():
        assert_casework_command(command, "fly.toml processes")
    assert_casework_command(config["deploy"]["release_command"], "fly.toml release")
    secrets = set(re.search(r"^# secrets: (.+)$", text, re.MULTILINE).group(1).split())
    assert_known(set(config["env"]) | secrets, setting_names, "fly.toml")
    values = {**config["env"], **{name: SECRET for name in secrets}}
    values["DATABASE_URL"] = "postgres://casework:pw@casework-db.flycast:5432/casework"
    assert_production_ready(values, "fly.toml")
    assert config["http_service"]["checks"][0]["path"] == "/health/ready"


def test_render_blueprint_has_web_worker_cron_and_database(setting_names):
    blueprint = yaml.safe_load((DEPLOY / "render.yaml").read_text())
    types = {s["type"] for s in blueprint["services"]}
    assert {"web", "worker", "cron"} <= types
    assert blueprint["databases"]
    for service in blueprint["services"]:
        if service["type"] not in ("web", "worker", "cron"):
            continue
        assert_casework_command(service["dockerCommand"], service["name"])
        names = {v["key"] for v in service["envVars"]}
        assert_known(names, setting_names, f"render.yaml {service['name']}")
        values = {v["key"]: str(v.get("value", SECRET)) for v in service["envVars"]}
        values["DATABASE_URL"] = "postgresql://casework:pw@dpg-x/casework"
        assert_production_ready(values, f"render.yaml {service['name']}")
    web = next(s for s in blueprint["services"] if s["type"] == "web")
    assert web["healthCheckPath"] == "/health/ready"
    assert web["preDeployCommand"] == "casework migrate"


def test_ci_workflow_lints_tests_with_services_and_builds_the_image():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text())
    jobs = workflow["jobs"]
    assert {"lint", "test", "image"} <= set(jobs)
    assert {"postgres", "redis"} <= set(jobs["test"]["services"])
    assert all(name.startswith("CASEWORK_") for name in jobs["test"]["env"])
    steps = " ".join(str(step.get("run", "")) for step in jobs["test"]["steps"])
    assert "torch==2.13.0" in steps and "pytest" in steps
    build = next(s for s in jobs["image"]["steps"]
                 if str(s.get("uses", "")).startswith("docker/build-push-action"))
    assert build["with"]["file"] == "deploy/Dockerfile"
    assert (Path(ROOT) / build["with"]["file"]).is_file()


def test_every_setting_the_artefacts_use_is_documented(setting_names):
    """An operator reading docs/deploy.md (or docs/scale-out.md) finds every variable that a
    deploy file sets or mentions, new ones included."""
    docs = "".join((ROOT / "docs" / name).read_text() for name in ("deploy.md", "scale-out.md"))
    artefacts = "\n".join(path.read_text() for path in sorted(DEPLOY.rglob("*"))
                          if path.is_file() and path.suffix in {"", ".yml", ".yaml", ".toml",
                                                                 ".example"})
    used = {name for name in setting_names if re.search(rf"\b{name}\b", artefacts)}
    assert {"BACKUP_TARGET", "BACKUP_INTERVAL_HOURS", "BACKUP_KEEP"} <= used
    undocumented = sorted(name for name in used if f"`{name}`" not in docs)
    assert not undocumented, f"set in deploy/ but not documented: {undocumented}"


DAILY_RUN = ["casework", "worker", "daily-run", "--horizon", "90"]


def test_every_deploy_shape_schedules_the_daily_run():
    """A cron job (Kubernetes, Render, Fly's scheduled Machine) or beat (compose) runs it."""
    k8s = yaml.safe_load((DEPLOY / "k8s" / "daily-run-cronjob.yaml").read_text())
    assert k8s["kind"] == "CronJob" and k8s["spec"]["concurrencyPolicy"] == "Forbid"
    container = k8s["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == DAILY_RUN
    kustomization = yaml.safe_load((DEPLOY / "k8s" / "kustomization.yaml").read_text())
    assert "daily-run-cronjob.yaml" in kustomization["resources"]
    render = yaml.safe_load((DEPLOY / "render.yaml").read_text())
    crons = {s["name"]: s for s in render["services"] if s["type"] == "cron"}
    assert shlex.split(crons["casework-daily-run"]["dockerCommand"]) == DAILY_RUN
    assert len(crons["casework-daily-run"]["schedule"].split()) == 5
    assert '--command "casework worker daily-run --horizon 90"' in (
        DEPLOY / "fly.toml").read_text()
    compose = yaml.safe_load((DEPLOY / "docker-compose.prod.yml").read_text())
    scheduler = compose["services"]["scheduler"]["environment"]
    assert float(scheduler["DAILY_RUN_INTERVAL_HOURS"]) > 0
