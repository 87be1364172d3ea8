"""Every failure leaves as RFC 9457 problem+json, and a crash tells the client nothing of our internals."""

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, Field

from kit.errors import Conflict, NotFound, RateLimited, install_problem_handlers

PROBLEM = "application/problem+json"


class Widget(BaseModel):
    name: str = Field(min_length=1)
    quantity: int


def _app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/widgets/{widget_id}")
    async def missing(widget_id: int) -> None:
        raise NotFound("Widget not found.")

    @app.post("/widgets")
    async def create(widget: Widget) -> None:
        raise Conflict("A widget with this name exists.", errors=[{"field": "name", "message": "taken"}])

    @app.get("/busy")
    async def busy() -> None:
        raise RateLimited("Slow down.", retry_after=30)

    @app.get("/crash")
    async def crash() -> None:
        raise RuntimeError("password=hunter2 at db.internal:5432")

    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    # The server re-raises unhandled errors after answering (for its own logs); the client still gets a 500.
    transport = httpx.ASGITransport(app=_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def test_a_problem_error_renders_as_problem_json(client: httpx.AsyncClient) -> None:
    response = await client.get("/widgets/7")

    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    assert response.json() == {
        "type": "https://distribu.app/problems/not-found",
        "title": "Not found",
        "status": 404,
        "detail": "Widget not found.",
        "instance": "/widgets/7",
    }


async def test_a_problem_can_carry_field_errors(client: httpx.AsyncClient) -> None:
    response = await client.post("/widgets", json={"name": "bolt", "quantity": 1})

    assert response.status_code == 409
    assert response.json()["errors"] == [{"field": "name", "message": "taken"}]


async def test_rate_limited_says_when_to_retry(client: httpx.AsyncClient) -> None:
    response = await client.get("/busy")

    assert response.status_code == 429
    assert response.headers["retry-after"] == "30"
    assert response.json()["status"] == 429


async def test_a_malformed_payload_lists_each_field(client: httpx.AsyncClient) -> None:
    response = await client.post("/widgets", json={"name": "", "quantity": "many"})

    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["type"] == "https://distribu.app/problems/validation-failed"
    assert {error["field"] for error in body["errors"]} == {"name", "quantity"}
    assert all(error["message"] for error in body["errors"])


async def test_a_malformed_path_parameter_is_a_validation_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/widgets/seven")

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "widget_id"


async def test_an_unknown_route_is_a_404_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/nowhere")

    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["type"] == "https://distribu.app/problems/not-found"


async def test_a_wrong_method_is_a_405_problem(client: httpx.AsyncClient) -> None:
    response = await client.delete("/busy")

    assert response.status_code == 405
    assert response.headers["content-type"] == PROBLEM


async def test_a_crash_is_a_500_problem_that_leaks_nothing(client: httpx.AsyncClient) -> None:
    response = await client.get("/crash")

    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["detail"] == "Something went wrong on our side."
    assert "hunter2" not in response.text
    assert "RuntimeError" not in response.text
