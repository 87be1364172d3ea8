"""Every service request's text (path, query and JSON body) checked by `kit.schemas.text_problem` before use."""

from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from kit.context import Context
from kit.schemas import CamelModel, TextError, model_in, text_errors, text_problem

JSON_TYPES = ("application/json",)


async def refuse_unsafe_text(request: Request, _context: Context) -> None:
    """422 naming each path parameter, query parameter or body string that `text_problem` refuses.

    Runs after the caller's context is verified (a call without one still gets its 401 first) and
    before FastAPI validates the parameters and body, so nothing reaches a handler or the database.
    Path and query values are single-line; body strings follow the body model's `MULTI_LINE` fields.
    """
    errors: list[dict[str, Any]] = []
    for name, value in request.path_params.items():
        if isinstance(value, str) and (problem := text_problem(value)) is not None:
            errors.append(_error(("path", name), problem, value))
    for name, value in request.query_params.multi_items():
        if (problem := text_problem(value)) is not None:
            errors.append(_error(("query", name), problem, value))
    route = request.scope.get("route")
    if isinstance(route, APIRoute) and route.body_field is not None and _is_json(request) and await request.body():
        # FastAPI has already decoded the body for the endpoint; Starlette keeps that decoded value.
        body = await request.json()
        errors.extend(_body_error(error) for error in text_errors(body, _body_model(route)))
    if errors:
        raise RequestValidationError(errors)


def install_text_input_check(app: FastAPI) -> None:
    """Check the text of every request to the routes `app` gets from here on (a service's own routes)."""
    app.router.dependencies.append(Depends(refuse_unsafe_text))


def _body_model(route: APIRoute) -> type[CamelModel] | None:
    assert route.body_field is not None
    # None for a body that is not one of our models (several body parameters): checked free-form.
    return model_in(route.body_field.field_info.annotation)


def _is_json(request: Request) -> bool:
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return content_type in JSON_TYPES or content_type.endswith("+json")


def _error(loc: tuple[str | int, ...], message: str, value: str) -> dict[str, Any]:
    # `input` is what the client sent, kept out of logs by kit.errors (it renders field and message only).
    return {"type": "text_characters", "loc": loc, "msg": message, "input": value}


def _body_error(error: TextError) -> dict[str, Any]:
    return {"type": "text_characters", "loc": ("body", *error.loc), "msg": error.message, "input": None}
