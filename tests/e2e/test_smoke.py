"""Both run modes come up and answer through the gateway."""

import httpx

from tests.support.systems import RunningSystem


async def assert_gateway_serves_health_and_plans(system: RunningSystem) -> None:
    async with httpx.AsyncClient(base_url=system.base_url) as client:
        health = await client.get("/healthz")
        plans = await client.get("/api/v1/plans")

    assert health.status_code == 200
    assert plans.status_code == 200, plans.text
    assert "Starter" in plans.text


async def test_full_topology_answers_through_the_gateway(full_system: RunningSystem):
    await assert_gateway_serves_health_and_plans(full_system)


async def test_embedded_mode_answers_through_the_gateway(embedded_system: RunningSystem):
    await assert_gateway_serves_health_and_plans(embedded_system)
