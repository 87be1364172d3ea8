"""The audit log's date-time filters read ISO 8601 text only, as the API document says (`format: date-time`)."""

import uuid
from typing import Any

import pytest
from fastapi import FastAPI

from services.audit.audit_log.endpoints import router
from tests.audit.conftest import AuditService


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"to": "0.5"}, "to"),
        ({"from": "12345"}, "from"),
        ({"from": "1767225600"}, "from"),
        ({"to": "2026-02-01"}, "to"),
        ({"from": "2026-02-01T10:00:00Z", "to": "-1"}, "to"),
    ],
)
async def test_numbers_and_dates_without_a_time_are_refused_naming_the_parameter(
    audit: AuditService, params: dict[str, Any], field: str
) -> None:
    response = await audit.client.get("/api/v1/audit-logs", params=params, headers=audit.headers(uuid.uuid4()))

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert [error["field"] for error in errors] == [field]
    assert "ISO 8601" in errors[0]["message"]


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2026-02-01T00:00:00Z"},
        {"to": "2026-02-01T01:30:00.250+01:00"},
        {"from": "2026-02-01T00:00:00-05:00", "to": "2026-02-02T00:00Z"},
        {"from": "2026-02-01T00:30:00"},
    ],
)
async def test_iso_8601_date_times_are_read(audit: AuditService, params: dict[str, Any]) -> None:
    response = await audit.client.get("/api/v1/audit-logs", params=params, headers=audit.headers(uuid.uuid4()))

    assert response.status_code == 200, response.text


def test_the_document_says_the_filters_are_iso_date_times_not_timestamps() -> None:
    app = FastAPI()
    app.include_router(router)
    operation = app.openapi()["paths"]["/api/v1/audit-logs"]["get"]
    parameters = {parameter["name"]: parameter for parameter in operation["parameters"]}

    for name in ("from", "to"):
        assert parameters[name]["schema"]["anyOf"] == [{"type": "string", "format": "date-time"}, {"type": "null"}]
        assert "not a Unix timestamp" in parameters[name]["description"]
