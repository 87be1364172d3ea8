"""Security headers on every gateway answer: a CSP without inline script, no framing or sniffing, no caching."""

import re
from pathlib import Path

import httpx

from gateway.web.rendering import WEB_DIRECTORY
from tests.gateway.conftest import GatewayFactory, GatewayHarness

TEMPLATES = WEB_DIRECTORY / "templates"


def _directives(response: httpx.Response) -> dict[str, str]:
    policy = response.headers["content-security-policy"]
    parts = [part.strip().split(" ", 1) for part in policy.split(";") if part.strip()]
    return {part[0]: part[1] if len(part) > 1 else "" for part in parts}


def assert_protected(response: httpx.Response) -> None:
    directives = _directives(response)
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "unsafe-inline" not in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "same-origin"


async def test_pages_json_answers_and_errors_carry_the_security_headers_and_are_not_stored(
    gateway: GatewayHarness,
) -> None:
    login_page = await gateway.client.get("/login")
    await gateway.sign_up()
    dashboard = await gateway.client.get("/dashboard")
    me = await gateway.client.get("/api/v1/me")
    # An integrator's new key comes back in the creation answer: exactly what must not be cached.
    new_key = await gateway.client.post("/api/v1/api-keys", json={"name": "ERP", "scopes": ["orders:read"]})
    missing = await gateway.client.get("/api/v1/nothing-here")
    docs = await gateway.client.get("/api/docs")

    for response in (login_page, dashboard, me, new_key, missing, docs):
        assert_protected(response)
        assert response.headers["cache-control"] == "no-store", response.request.url
    assert [login_page.status_code, dashboard.status_code, me.status_code, new_key.status_code] == [200] * 4
    assert missing.status_code == 404


async def test_the_guards_refusals_carry_the_security_headers_and_a_request_id(gateway: GatewayHarness) -> None:
    bad_path = await gateway.client.get("/api/v1/products/a%07b")
    too_large = await gateway.client.post(
        "/api/v1/auth/login", content=b"x" * 100_000, headers={"content-type": "application/json"}
    )

    assert [bad_path.status_code, too_large.status_code] == [400, 413]
    for response in (bad_path, too_large):
        assert_protected(response)
        assert response.headers["x-request-id"]


async def test_static_files_keep_their_validators_and_are_not_marked_no_store(gateway: GatewayHarness) -> None:
    first = await gateway.client.get("/static/distribu.css")
    again = await gateway.client.get("/static/distribu.css", headers={"If-None-Match": first.headers["etag"]})
    swagger = await gateway.client.get("/api/docs/assets/swagger-ui.css")

    assert first.status_code == 200
    assert again.status_code == 304
    for response in (first, swagger):
        assert "no-store" not in response.headers.get("cache-control", "")
        assert response.headers["x-content-type-options"] == "nosniff"


async def test_strict_transport_security_only_when_cookies_are_secure(make_gateway: GatewayFactory) -> None:
    async with make_gateway(cookie_secure=True) as secure:
        https_only = await secure.client.get("/login")
    async with make_gateway() as plain:
        local = await plain.client.get("/login")

    assert https_only.headers["strict-transport-security"] == "max-age=31536000"
    assert "strict-transport-security" not in local.headers


async def test_docs_page_loads_its_script_from_static_files_only(gateway: GatewayHarness) -> None:
    page = await gateway.client.get("/api/docs")
    starter = await gateway.client.get("/static/swagger-init.js")

    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page.text) == []
    assert 'src="/static/swagger-init.js"' in page.text
    assert starter.status_code == 200
    assert "SwaggerUIBundle" in starter.text


def _inline_script_in(template: Path) -> list[str]:
    text = template.read_text()
    found = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", text)
    found += re.findall(r"\son[a-z]+\s*=", text)
    found += re.findall(r"javascript:", text)
    found += re.findall(r"<style|\sstyle\s*=", text)
    return found


def test_templates_have_no_inline_script_handlers_or_styles() -> None:
    offenders = {
        template.name: found for template in TEMPLATES.glob("*.html") if (found := _inline_script_in(template))
    }

    assert offenders == {}


async def test_pages_load_the_script_that_binds_their_data_attributes(gateway: GatewayHarness) -> None:
    page = await gateway.client.get("/login")
    script = await gateway.client.get("/static/distribu.js")

    assert '<script src="/static/distribu.js" defer></script>' in page.text
    assert script.status_code == 200
    assert script.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    for attribute in ("data-confirm", "data-autosubmit", "data-copy", "data-select-on-focus", "data-replace-url"):
        assert attribute in script.text
