"""How deploy.local wires the full topology's processes together (started for real in tests/e2e)."""

import argparse

import pytest

from deploy.components import SERVICES
from deploy.local import Topology, database_urls, service_port, stop_rank


def test_topology_runs_an_api_a_worker_and_a_relay_per_service_and_the_gateway():
    topology = Topology({}, ports={"gateway": 9000, "identity": 9101})

    names = [process.name for process in topology.processes]
    background = [f"{service}-{role}" for service in SERVICES for role in ("worker", "relay")]
    assert sorted(names) == sorted(["gateway", *SERVICES, *background])
    assert " ".join(topology.process("identity").argv[1:]) == "-m services.identity api --host 127.0.0.1 --port 9101"
    assert topology.process("identity-worker").argv[1:] == ["-m", "services.identity", "worker"]
    assert topology.process("identity-relay").argv[1:] == ["-m", "services.identity", "relay"]
    assert topology.process("identity").ready_url == "http://127.0.0.1:9101/readyz"
    assert topology.process("identity-worker").ready_url is None


def test_topology_stops_the_gateway_then_apis_then_workers_then_relays():
    topology = Topology({})

    order = [process.name for process in sorted(topology.processes, key=stop_rank)]
    ranks = ["gateway" if name == "gateway" else name.partition("-")[2] or "api" for name in order]
    assert ranks == ["gateway", *["api"] * len(SERVICES), *["worker"] * len(SERVICES), *["relay"] * len(SERVICES)]


def test_topology_points_the_gateway_at_each_service_port():
    topology = Topology({}, ports={"gateway": 9000, "orders": 9103})

    gateway = topology.process("gateway").env
    assert gateway["GATEWAY_PORT"] == "9000"
    assert gateway["GATEWAY_ORDERS_URL"] == "http://127.0.0.1:9103"
    assert gateway["GATEWAY_IDENTITY_URL"] == "http://127.0.0.1:8101"
    assert gateway["GATEWAY_PUBLIC_URL"] == topology.gateway_url == "http://127.0.0.1:9000"


def test_topology_shares_one_generated_secret_unless_one_is_given():
    generated = Topology({})
    given = Topology({"DISTRIBU_INTERNAL_SECRET": "s" * 40})

    secrets = {process.env["DISTRIBU_INTERNAL_SECRET"] for process in generated.processes}
    assert len(secrets) == 1
    assert len(secrets.pop()) >= 32
    assert {process.env["DISTRIBU_INTERNAL_SECRET"] for process in given.processes} == {"s" * 40}


def test_topology_gives_a_per_process_variable_to_that_process_only():
    topology = Topology({}, process_env={"identity-relay": {"DISTRIBU_BROKER_URL": "amqp://proxy:1/"}})

    assert topology.process("identity-relay").env["DISTRIBU_BROKER_URL"] == "amqp://proxy:1/"
    assert topology.process("identity").env.get("DISTRIBU_BROKER_URL") != "amqp://proxy:1/"


def test_database_urls_default_to_one_local_database_per_service():
    urls = database_urls({"AUDIT_DATABASE_URL": "postgresql+asyncpg://elsewhere/audit"})

    assert urls["audit"] == "postgresql+asyncpg://elsewhere/audit"
    assert urls["identity"] == "postgresql+asyncpg://postgres@127.0.0.1:5432/distribu_identity"


def test_a_service_port_is_given_as_service_equals_port():
    assert service_port("catalog=9102") == ("catalog", 9102)
    for wrong in ("shipping=9106", "catalog", "catalog=", "catalog=port"):
        with pytest.raises(argparse.ArgumentTypeError):
            service_port(wrong)
