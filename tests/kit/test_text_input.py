"""The one text rule (kit.schemas.text_problem), its use on request bodies, paths and queries, and unreadable input."""

import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Query, Request
from pydantic import StringConstraints

from kit.context import ContextSigner
from kit.errors import install_problem_handlers
from kit.schemas import MULTI_LINE, CamelModel, text_problem
from kit.text_input import install_text_input_check
from tests.conftest import context_headers

SERVICE = "sample"

REFUSED_ON_ONE_LINE = {
    "nul": "a\x00b",
    "bell": "a\x07b",
    "escape": "a\x1b[2Jb",
    "tab": "a\tb",
    "line feed": "a\nb",
    "carriage return": "a\rb",
    "del": "a\x7fb",
    "c1 next line": "a\x85b",
    "c1 csi": "a\x9bb",
    "line separator": "a\u2028b",
    "left-to-right embedding": "a\u202ab",
    "right-to-left override": "a\u202eb",
    "left-to-right isolate": "a\u2066b",
    "pop directional isolate": "a\u2069b",
    "left-to-right mark": "a\u200eb",
    "right-to-left mark": "a\u200fb",
    "zero-width space": "a\u200bb",
    "word joiner": "a\u2060b",
    "byte order mark": "\ufeffab",
    "soft hyphen": "a\u00adb",
    "lone high surrogate": "a\ud800",
    "lone low surrogate": "\udfffa",
}
ALLOWED = {
    "ascii": "Acme Distributors, Inc. (#1) <ok> & 'quotes'",
    "accents": "Zoë Ñúñez-Ørsted",
    "arabic": "شركة التوزيع",
    "persian with zwnj": "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
    "devanagari with zwj": "क्\u200dष",
    "emoji sequence with zwj": "\U0001f469\u200d\U0001f4bb team",
    "flag": "\U0001f1f8\U0001f1ea",
    "cjk": "李小龍",
    "no-break space": "12\u00a0kg",
    "ideographic space": "東京\u3000支店",
    "private use": "\ue000",
    "empty": "",
}


@pytest.mark.parametrize("text", REFUSED_ON_ONE_LINE.values(), ids=REFUSED_ON_ONE_LINE.keys())
def test_single_line_text_refuses_control_surrogate_and_invisible_formatting_characters(text: str) -> None:
    problem = text_problem(text)

    assert problem is not None
    assert "U+" in problem


@pytest.mark.parametrize("text", ALLOWED.values(), ids=ALLOWED.keys())
def test_text_in_any_script_with_joiners_spaces_and_emoji_is_allowed(text: str) -> None:
    assert text_problem(text) is None
    assert text_problem(text, multiline=True) is None


def test_multi_line_text_allows_tab_and_line_breaks_but_nothing_else_refused() -> None:
    assert text_problem("First line\r\n\tindented\nlast\u2028", multiline=True) is None
    for text in ("a\x00b", "a\x0bb", "a\x0cb", "a\x85b", "a\u202eb", "a\ufeffb", "a\ud800"):
        assert text_problem(text, multiline=True) is not None, repr(text)


class Line(CamelModel):
    label: str
    note: Annotated[str | None, MULTI_LINE] = None


class Order(CamelModel):
    customer_name: Annotated[str, StringConstraints(strip_whitespace=True)]
    comments: Annotated[str, MULTI_LINE] = ""
    lines: list[Line] = []
    tags: list[str] = []
    extra: dict[str, Any] = {}


def test_a_model_names_each_refused_string_by_the_path_the_client_sent() -> None:
    document = {
        "customerName": "A\x00",
        "comments": "one\ntwo\u202e",
        "lines": [{"label": "ok", "note": "multi\nline"}, {"label": "x\ny", "note": "\x1b"}],
        "tags": ["fine", "\u200b"],
        "extra": {"k\x00": "v", "nested": ["\x7f"]},
        "ignored": "\x00",
    }

    errors = Order.text_errors(document)

    assert [error.loc for error in errors] == [
        ("customerName",),
        ("comments",),
        ("lines", 1, "label"),
        ("lines", 1, "note"),
        ("tags", 1),
        ("extra", "k\x00"),
        ("extra", "nested", 0),
    ]


def test_a_model_reads_fields_by_their_python_names_too() -> None:
    assert [error.loc for error in Order.text_errors({"customer_name": "\x00", "comments": "a\nb"})] == [
        ("customer_name",)
    ]


router = APIRouter()


@router.post("/orders/{order_ref}")
async def write_order(order_ref: str, body: Order, q: Annotated[str | None, Query()] = None) -> dict[str, str]:
    return {"ref": order_ref, "customerName": body.customer_name, "comments": body.comments}


@router.post("/raw")
async def read_raw(request: Request) -> dict[str, int]:
    # What the gateway does with a sign-in body: decode it itself, outside FastAPI's body handling.
    data = json.loads(await request.body())
    return {"keys": len(data)}


@router.post("/encode")
async def encode(request: Request) -> dict[str, int]:
    # What a database driver, Redis client or hash does with text: encode it as UTF-8.
    text = json.loads(await request.body())["text"]
    return {"bytes": len(text.encode())}


@router.post("/encode-latin-1")
async def encode_latin_1(request: Request) -> dict[str, int]:
    return {"bytes": len("€".encode("latin-1"))}


@pytest.fixture(scope="module")
async def service() -> AsyncIterator[tuple[httpx.AsyncClient, ContextSigner]]:
    app = FastAPI()
    app.state.service_name = SERVICE
    app.state.context_signer = signer = ContextSigner("a test secret of enough length for HS256 signing")
    install_problem_handlers(app)
    install_text_input_check(app)
    app.include_router(router)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
        yield client, signer


async def post(
    service: tuple[httpx.AsyncClient, ContextSigner], path: str, content: bytes, *, signed: bool = True
) -> httpx.Response:
    client, signer = service
    headers = {"content-type": "application/json", **(context_headers(signer, SERVICE) if signed else {})}
    return await client.post(path, content=content, headers=headers)


def fields(response: httpx.Response) -> list[str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return [error["field"] for error in response.json()["errors"]]


async def test_path_query_and_body_text_are_refused_together_naming_each_field(
    service: tuple[httpx.AsyncClient, ContextSigner],
) -> None:
    body = {"customerName": "Ada\u202e", "comments": "ok\nfine", "lines": [{"label": "\x00"}]}

    response = await post(service, "/orders/ref%00?q=%1B", json.dumps(body).encode())

    assert fields(response) == ["order_ref", "q", "customerName", "lines.0.label"]


async def test_clean_text_with_multi_line_fields_passes_through(
    service: tuple[httpx.AsyncClient, ContextSigner],
) -> None:
    body = {"customerName": " Zoë ", "comments": "line one\r\n\tline two"}

    response = await post(service, "/orders/r-1?q=caf%C3%A9", json.dumps(body).encode())

    assert response.status_code == 200, response.text
    assert response.json() == {"ref": "r-1", "customerName": "Zoë", "comments": "line one\r\n\tline two"}


async def test_a_call_without_a_context_is_refused_as_such_before_its_text_is_looked_at(
    service: tuple[httpx.AsyncClient, ContextSigner],
) -> None:
    response = await post(service, "/orders/ref%00", b'{"customerName": "x"}', signed=False)

    assert response.status_code == 401, response.text


async def test_deeply_nested_json_is_a_400_problem_wherever_it_is_decoded(
    service: tuple[httpx.AsyncClient, ContextSigner],
) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000

    for path in ("/raw", "/orders/r-1"):
        response = await post(service, path, deep)
        assert response.status_code == 400, (path, response.text)
        assert response.headers["content-type"] == "application/problem+json"


async def test_a_lone_surrogate_that_reaches_an_encoder_is_a_400_problem(
    service: tuple[httpx.AsyncClient, ContextSigner],
) -> None:
    response = await post(service, "/encode", b'{"text": "\\ud800"}')

    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert "surrogate" in response.json()["detail"]


async def test_other_encoding_failures_stay_server_errors(service: tuple[httpx.AsyncClient, ContextSigner]) -> None:
    response = await post(service, "/encode-latin-1", b"{}")

    assert response.status_code == 500, response.text
