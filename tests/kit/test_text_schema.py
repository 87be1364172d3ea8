"""The OpenAPI document states the one text rule (kit.schemas.text_problem) on model fields and parameters."""

import dataclasses
import re
import sys
import unicodedata
import uuid
from typing import Annotated, Any, Literal

import pytest
from fastapi import APIRouter, FastAPI, Query
from pydantic import EmailStr, Field, SecretStr

from kit.access import staff
from kit.schemas import MULTI_LINE, CamelModel, text_pattern, text_problem
from kit.service import create_service_app
from kit.settings import PlatformSettings
from tests.kit.sample_service import SPEC


class Line(CamelModel):
    label: str


class Order(CamelModel):
    customer_name: str
    comments: Annotated[str, MULTI_LINE] = ""
    note: Annotated[str | None, MULTI_LINE] = None
    reference: str | None = None
    tags: list[str] = []
    lines: list[Line] = []
    sku: Annotated[str, Field(pattern=r"^[A-Z0-9-]+$")] = "A-1"
    email: EmailStr | None = None
    status: Literal["draft", "placed"] = "draft"
    id: uuid.UUID | None = None
    quantity: int = 1


router = APIRouter(prefix="/orders", dependencies=[staff()])


@router.post("/{order_ref}")
async def write_order(
    order_ref: str,
    body: Order,
    q: Annotated[str | None, Query()] = None,
    labels: Annotated[list[str], Query()] = [],  # noqa: B006 - FastAPI copies parameter defaults
    size: int = 10,
) -> Order:
    return body


@router.get("/by-id/{order_id}")
async def read_order(order_id: uuid.UUID, status: Literal["draft", "placed"] | None = None) -> Order:
    raise NotImplementedError


def served_document() -> dict[str, Any]:
    """What the service's /openapi.json answers the gateway (the app is built, never started)."""
    platform = PlatformSettings(internal_secret=SecretStr("a test secret of enough length for HS256 signing"))
    app: FastAPI = create_service_app(dataclasses.replace(SPEC, routers=[router]), "postgresql://unused/x", platform)
    document: dict[str, Any] = app.openapi()
    return document


SINGLE = text_pattern()
MULTI = text_pattern(multiline=True)


def test_a_models_string_fields_state_the_text_rule_in_the_served_document() -> None:
    schemas = served_document()["components"]["schemas"]
    order = schemas["Order"]["properties"]

    assert order["customerName"]["pattern"] == SINGLE
    assert order["comments"]["pattern"] == MULTI
    assert [branch.get("pattern") for branch in order["note"]["anyOf"]] == [MULTI, None]
    assert [branch.get("pattern") for branch in order["reference"]["anyOf"]] == [SINGLE, None]
    assert order["tags"]["items"]["pattern"] == SINGLE
    assert schemas["Line"]["properties"]["label"]["pattern"] == SINGLE
    # What already says what its text looks like keeps its own word for it.
    assert order["sku"]["pattern"] == r"^[A-Z0-9-]+$"
    assert [branch.get("pattern") for branch in order["email"]["anyOf"]] == [None, None]
    assert "pattern" not in order["status"]
    assert "pattern" not in order["quantity"]
    assert all("pattern" not in branch for branch in order["id"]["anyOf"])


def test_string_path_and_query_parameters_state_the_single_line_rule() -> None:
    paths = served_document()["paths"]

    def schemas(operation: dict[str, Any]) -> dict[str, Any]:
        return {parameter["name"]: parameter["schema"] for parameter in operation["parameters"]}

    write = schemas(paths["/orders/{order_ref}"]["post"])
    assert write["order_ref"]["pattern"] == SINGLE
    assert [branch.get("pattern") for branch in write["q"]["anyOf"]] == [SINGLE, None]
    assert write["labels"]["items"]["pattern"] == SINGLE
    assert "pattern" not in write["size"]
    read = schemas(paths["/orders/by-id/{order_id}"]["get"])
    assert read["order_id"] == {"type": "string", "format": "uuid", "title": "Order Id"}
    assert all("pattern" not in branch for branch in read["status"]["anyOf"])


def _sample() -> list[str]:
    categories = {"Cc", "Cf", "Zl", "Zp"}
    characters = [chr(code) for code in range(sys.maxunicode + 1) if unicodedata.category(chr(code)) in categories]
    surrogates = [chr(code) for code in range(0xD800, 0xE000)]
    others = ["a", "Z", "é", "ß", "ش", "李", "\u00a0", "\u3000", " ", "\ue000", "\U0001f469", "\U0001f600", "\u200c"]
    return [*characters, *surrogates, *others, "\u200d", "\t", "\n", "\r", "\U0010ffff", "\U000e0001", "\U00010000"]


@pytest.mark.parametrize("multiline", [False, True], ids=["single-line", "multi-line"])
def test_the_pattern_accepts_and_refuses_exactly_what_text_problem_does(multiline: bool) -> None:
    pattern = re.compile(text_pattern(multiline=multiline))
    assert pattern.pattern.startswith("^[^")
    assert pattern.pattern.endswith("]*$")

    # Lone surrogates are the one documented gap: the rule refuses them, no portable pattern can name them.
    disagreements = [
        f"U+{ord(character):04X}"
        for character in _sample()
        if not 0xD800 <= ord(character) <= 0xDFFF
        for text in (character, f"a{character}b")
        if (pattern.fullmatch(text) is None) != (text_problem(text, multiline=multiline) is not None)
    ]

    assert disagreements == []
    assert text_problem("a\ud800b", multiline=multiline) is not None


def test_joiners_tab_and_line_feed_read_the_same_in_the_pattern_and_the_rule() -> None:
    single, multi = re.compile(SINGLE), re.compile(MULTI)

    # Joiners, emoji sequences, flag tags (Cf, but needed by real text) and no-break spaces pass.
    scotland = "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"
    for allowed in ("\u200d", "\u200c", "\U0001f469\u200d\U0001f4bb", scotland, "12\u00a0kg", ""):
        assert single.fullmatch(allowed)
        assert multi.fullmatch(allowed)
    for layout in ("a\tb", "a\nb", "a\r\nb", "a\u2028b"):
        assert single.fullmatch(layout) is None
        assert multi.fullmatch(layout)
    for refused in ("a\x00", "\u202e", "\u2066", "\u200b", "\ufeff", "\x85", "\u00ad"):
        assert single.fullmatch(refused) is None
        assert multi.fullmatch(refused) is None


def test_the_pattern_is_a_short_class_of_escapes() -> None:
    body = SINGLE[3:-3]

    # Short: a fuzzer builds a strategy from it for every string it generates (a class of every allowed
    # range, about 250 characters, made schemathesis 60 times slower).
    assert len(body) < 200
    assert body.isascii()
    assert "\\u202A-\\u202E" in body
    assert "\\uD800" not in body
    assert "\\uDFFF" not in body
