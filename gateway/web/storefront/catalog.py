"""The storefront's landing page and its catalog: products on sale, one product."""

import asyncio
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response

from gateway.web.client import PageClient, id_or_404, problem
from gateway.web.rendering import render
from gateway.web.storefront.frame import store_api, store_client, store_frame, store_of

router = APIRouter(include_in_schema=False)

# A multiple of the grid's 2, 3 and 4 columns.
CATALOG_PAGE_SIZE = 24


@router.get("/store/{slug}")
async def storefront(request: Request, slug: str) -> Response:
    client = await store_client(request, slug)
    return render(request, "store_landing.html", await store_frame(client))


@router.get("/store/{slug}/catalog")
async def catalog(request: Request, slug: str) -> Response:
    client = await store_client(request, slug)
    return await catalog_page(request, client, request.query_params)


async def catalog_page(
    request: Request,
    client: PageClient,
    params: Mapping[str, str],
    extra: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    """Products on sale; the API decides which prices the caller sees (theirs, the list's, or none for guests).

    `params` are the page's search, category and cursor (the query string, or an add-to-cart form's copy of it);
    `extra` what an action on the page adds to it (cart.py's add-to-cart answer)."""
    store = store_of(client)
    search = params.get("q", "").strip()
    category = params.get("category", "").strip()
    cursor = params.get("cursor") or None
    filters = {key: value for key, value in (("q", search), ("category", category)) if value}
    here = {**filters, **({"cursor": cursor} if cursor else {})}
    query = {"limit": str(CATALOG_PAGE_SIZE), **here}
    frame, page, categories = await asyncio.gather(
        store_frame(client),
        client.call("GET", store_api(client, "/products"), query=urlencode(query)),
        client.call("GET", store_api(client, "/categories")),
    )
    if not page.ok:
        raise problem(page)
    products = page.body.get("items", [])
    # Without the category list (the catalog is briefly unavailable), the filter offers this page's categories.
    names = categories.body.get("items", []) if categories.ok else [item["category"] for item in products]
    base = f"/store/{store.slug}/catalog"
    next_cursor = page.body.get("nextCursor")
    context = {
        **frame,
        "products": products,
        "prices_visible": bool(page.body.get("pricesVisible")),
        "search": search,
        "category_filter": category,
        "categories": sorted({name for name in names if name} | ({category} - {""})),
        "filtering": bool(filters),
        "first_url": base + (f"?{urlencode(filters)}" if filters else ""),
        "next_url": f"{base}?{urlencode({**filters, 'cursor': next_cursor})}" if next_cursor else None,
        "first_page": cursor is None,
        "cursor": cursor or "",
        # This very page (filters and cursor), where an add-to-cart answer's history entry points.
        "page_url": f"{base}?{urlencode(here)}" if here else base,
        "login_url": f"/store/{store.slug}/login?next={base}",
        **(extra or {}),
    }
    return render(request, "store_catalog.html", context, status_code=status_code)


@router.get("/store/{slug}/catalog/{product_id}")
async def catalog_product(request: Request, slug: str, product_id: str) -> Response:
    client = await store_client(request, slug)
    return await product_page(request, client, id_or_404(product_id, "product"))


async def product_page(
    request: Request, client: PageClient, product_id: str, extra: dict[str, Any] | None = None, status_code: int = 200
) -> Response:
    """One product; `extra` is what an action on the page adds to it (cart.py's add-to-cart answer)."""
    store = store_of(client)
    path = store_api(client, f"/products/{product_id}")
    frame, product = await asyncio.gather(store_frame(client), client.call("GET", path))
    if not product.ok:
        raise problem(product)
    page_path = f"/store/{store.slug}/catalog/{product.body['id']}"
    context = {
        **frame,
        "product": product.body,
        "page_url": page_path,
        "login_url": f"/store/{store.slug}/login?next={page_path}",
        **(extra or {}),
    }
    return render(request, "store_product.html", context, status_code=status_code)
