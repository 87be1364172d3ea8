"""Cursor pagination: `{items, nextCursor}` pages walked by an opaque keyset cursor."""

import base64
import json
import uuid
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from sqlalchemy import Select, literal, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from kit.errors import InvalidInput
from kit.schemas import CamelModel

ItemT = TypeVar("ItemT")

Limit = Annotated[int, Query(ge=1, le=200, description="Page size (default 50, max 200).")]
Cursor = Annotated[str | None, Query(description="`nextCursor` of the previous page.")]


class Page(CamelModel, Generic[ItemT]):
    items: list[ItemT]
    next_cursor: str | None = None


def encode_cursor(sort_value: datetime | str, row_id: uuid.UUID) -> str:
    value = sort_value.isoformat() if isinstance(sort_value, datetime) else sort_value
    raw = json.dumps([value, str(row_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, *, sort_is_datetime: bool) -> tuple[Any, uuid.UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value, row_id = json.loads(base64.urlsafe_b64decode(padded))
        sort_value = datetime.fromisoformat(value) if sort_is_datetime else str(value)
        if isinstance(sort_value, datetime) and sort_value.tzinfo is None:
            raise ValueError("cursor timestamp without offset")  # never issued; would fail at the database
        return sort_value, uuid.UUID(row_id)
    except (ValueError, TypeError) as error:
        raise InvalidInput(
            "The cursor is not valid; use the nextCursor of a previous page.",
            errors=[{"field": "cursor", "message": "not a cursor this API issued"}],
        ) from error


async def keyset_page(
    session: AsyncSession,
    statement: Select[*tuple[Any, ...]],
    *,
    sort_column: InstrumentedAttribute[Any],
    id_column: InstrumentedAttribute[uuid.UUID],
    limit: int,
    cursor: str | None,
    descending: bool = True,
) -> tuple[list[Any], str | None]:
    """One page of the entities `statement` selects, ordered by (sort, id), and the next page's cursor if any."""
    if cursor:
        sort_is_datetime = sort_column.type.python_type is datetime
        sort_value, row_id = decode_cursor(cursor, sort_is_datetime=sort_is_datetime)
        # A row-value comparison, so an index on (…, sort, id) serves it as one range scan.
        position = tuple_(sort_column, id_column)
        cursor_position = tuple_(literal(sort_value, sort_column.type), literal(row_id, id_column.type))
        statement = statement.where(position < cursor_position if descending else position > cursor_position)
    order = (sort_column.desc(), id_column.desc()) if descending else (sort_column.asc(), id_column.asc())
    paged = statement.order_by(*order).limit(limit + 1)
    rows: list[Any] = list((await session.scalars(paged)).all())
    return page_of(rows, limit, sort_key=sort_column.key, id_key=id_column.key)


def page_of(rows: list[Any], limit: int, *, sort_key: str, id_key: str) -> tuple[list[Any], str | None]:
    """The first `limit` of up to `limit + 1` rows fetched in page order, and the next page's cursor
    if there was one more."""
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    return rows, encode_cursor(getattr(last, sort_key), getattr(last, id_key))
