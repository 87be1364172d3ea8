"""docker-compose.yml, the Dockerfile and the Kubernetes manifests name only what exists in the code.

Docker cannot run here, so these check what can be checked without it: the files parse, every
process they start is a real module and command, every variable they set is one the code reads.
"""

import importlib.util
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy.components import GATEWAY_PORT, SERVICE_PORTS, SERVICES
from tests.deploy.environment import environment_variables

REPOSITORY = Path(__file__).resolve().parents[2]
INFRASTRUCTURE = ("postgres", "rabbitmq", "redis")
BACKGROUND = ("worker", "relay")
PROCESSES = {"gateway", *SERVICES, *(f"{service}-{role}" for service in SERVICES for role in BACKGROUND)}


def load_compose() -> dict[str, Any]:
    compose: dict[str, Any] = yaml.safe_load((REPOSITORY / "docker-compose.yml").read_text())
    return compose


def distribu_processes(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The compose services that run our image (everything but the infrastructure)."""
    return {name: spec for name, spec in compose["services"].items() if name not in INFRASTRUCTURE}


def kubernetes_documents() -> list[dict[str, Any]]:
    documents = []
    for path in sorted((REPOSITORY / "deploy" / "k8s").glob("*.yaml")):
        documents += [document for document in yaml.safe_load_all(path.read_text()) if document]
    return documents


def assert_runs_real_module(process: str, command: list[str]) -> None:
    """`python -m <module> ...` where the module exists and takes the arguments given."""
    assert command[:2] == ["python", "-m"], f"{process}: {command}"
    module, arguments = command[2], command[3:]
    assert importlib.util.find_spec(f"{module}.__main__") is not None, f"{process}: no module {module}"
    if process == "gateway":
        assert module == "gateway"
        assert arguments == []
        return
    service, _, role = process.partition("-")
    assert module == f"services.{service}"
    if role:
        assert role in BACKGROUND
        assert arguments == [role]
    else:
        assert arguments[0] == "api"
        assert arguments[arguments.index("--port") + 1] == str(SERVICE_PORTS[service])


def test_compose_runs_the_infrastructure_with_health_checks():
    services = load_compose()["services"]

    assert "pg_isready" in services["postgres"]["healthcheck"]["test"]
    assert "rabbitmq-diagnostics" in services["rabbitmq"]["healthcheck"]["test"]
    assert "redis-cli" in services["redis"]["healthcheck"]["test"]


def test_compose_runs_every_service_api_worker_and_relay_and_the_gateway():
    processes = distribu_processes(load_compose())

    assert set(processes) == PROCESSES
    for name, spec in processes.items():
        assert spec["build"]["dockerfile"] == "deploy/Dockerfile"
        assert_runs_real_module(name, spec["command"])


def test_compose_health_checks_every_api_and_the_gateway_on_its_readiness_endpoint():
    processes = distribu_processes(load_compose())

    for name, port in [*SERVICE_PORTS.items(), ("gateway", GATEWAY_PORT)]:
        check = " ".join(processes[name]["healthcheck"]["test"])
        assert f"http://127.0.0.1:{port}/readyz" in check, name


def test_compose_sets_only_variables_the_code_reads():
    known = environment_variables()

    for name, spec in distribu_processes(load_compose()).items():
        unknown = set(spec["environment"]) - known
        assert not unknown, f"{name} sets variables no settings class reads: {sorted(unknown)}"
        assert spec["environment"]["DISTRIBU_INTERNAL_SECRET"].startswith("${DISTRIBU_INTERNAL_SECRET:?")


def test_compose_gives_each_service_its_own_database_and_creates_them_all():
    compose = load_compose()
    processes = distribu_processes(compose)
    init_scripts = [volume.split(":")[0] for volume in compose["services"]["postgres"]["volumes"] if "initdb" in volume]
    created = set(re.findall(r"CREATE DATABASE (\w+)", "".join((REPOSITORY / s).read_text() for s in init_scripts)))

    assert created == {f"distribu_{service}" for service in SERVICES}
    for service in SERVICES:
        for process in (service, f"{service}-worker", f"{service}-relay"):
            environment = processes[process]["environment"]
            databases = [key for key in environment if key.endswith("_DATABASE_URL")]
            assert databases == [f"{service.upper()}_DATABASE_URL"]
            assert environment[databases[0]].endswith(f"@postgres:5432/distribu_{service}")


def test_compose_gateway_reaches_each_service_at_its_api_port():
    environment = distribu_processes(load_compose())["gateway"]["environment"]

    for service, port in SERVICE_PORTS.items():
        assert environment[f"GATEWAY_{service.upper()}_URL"] == f"http://{service}:{port}"
    assert environment["GATEWAY_PORT"] == str(GATEWAY_PORT)


def test_files_compose_mounts_into_containers_exist():
    for spec in load_compose()["services"].values():
        for volume in spec.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (REPOSITORY / source).is_file(), source


def test_dockerfile_copies_files_that_exist():
    dockerfile = REPOSITORY / "deploy" / "Dockerfile"
    copies = [line.split()[1:-1] for line in dockerfile.read_text().splitlines() if line.startswith("COPY ")]

    assert copies
    for sources in copies:
        for source in sources:
            assert (REPOSITORY / source).exists(), source
    assert any(line.startswith("USER ") and "root" not in line for line in dockerfile.read_text().splitlines())


@pytest.mark.parametrize("process", sorted(PROCESSES))
def test_kubernetes_deploys_every_process_with_a_real_command(process):
    deployments = {doc["metadata"]["name"]: doc for doc in kubernetes_documents() if doc["kind"] == "Deployment"}

    container = deployments[process]["spec"]["template"]["spec"]["containers"][0]
    assert_runs_real_module(process, container["command"])


def test_kubernetes_runs_two_workers_per_service():
    deployments = {doc["metadata"]["name"]: doc for doc in kubernetes_documents() if doc["kind"] == "Deployment"}

    for service in SERVICES:
        assert deployments[f"{service}-worker"]["spec"]["replicas"] == 2


def test_kubernetes_sets_only_variables_the_code_reads():
    known = environment_variables()
    documents = kubernetes_documents()
    config = next(doc for doc in documents if doc["kind"] == "ConfigMap")
    named = set(config["data"])
    for doc in documents:
        if doc["kind"] == "Deployment":
            for container in doc["spec"]["template"]["spec"]["containers"]:
                named |= {variable["name"] for variable in container.get("env", [])}

    assert named - known == set()
    assert {f"{service.upper()}_DATABASE_URL" for service in SERVICES} <= named


def test_kubernetes_exposes_each_service_at_its_port():
    services = {doc["metadata"]["name"]: doc for doc in kubernetes_documents() if doc["kind"] == "Service"}

    for service, port in SERVICE_PORTS.items():
        assert services[service]["spec"]["ports"][0]["port"] == port
    assert "gateway" in services
