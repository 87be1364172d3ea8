"""How a page reaches the public API: one client per request that speaks JSON, uploads files and relays
downloads, all through the gateway's own route table and rules, exactly as an integrator's call would go."""

import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import Request, Response
from fastapi.responses import StreamingResponse
from starlette.datastructures import UploadFile

from gateway.pipeline import Caller, Gateway
from gateway.sessions import StoredSession
from kit.errors import NotFound, ProblemError


@dataclass
class ApiResult:
    """A service's answer as a page needs it: status, JSON body, and a session if one was opened."""

    status: int
    body: Any
    new_session: StoredSession | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def detail(self) -> str:
        if isinstance(self.body, dict) and self.body.get("detail"):
            return str(self.body["detail"])
        return "Something went wrong on our side; please try again."

    def field_errors(self, fields: dict[str, str]) -> dict[str, str]:
        """API validation errors keyed by form field (`fields` maps API names to form names)."""
        errors: dict[str, str] = {}
        items = self.body.get("errors") if isinstance(self.body, dict) else None
        for item in items or []:
            name = fields.get(str(item.get("field", "")))
            if name and name not in errors:
                errors[name] = sentence(str(item.get("message", "")))
        return errors


def gateway_of(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


@dataclass(frozen=True)
class PageClient:
    """The public API as one page's caller reaches it."""

    gateway: Gateway
    caller: Caller

    async def call(
        self, method: str, path: str, *, json_body: Any = None, query: str = "", idempotency_key: str | None = None
    ) -> ApiResult:
        """A JSON call; a refusal by the gateway itself (rules, limits) is an answer like any other. With
        `idempotency_key`, repeating the call gets the first one's answer (see `Gateway.call`)."""
        try:
            outcome = await self.gateway.call(
                self.caller, method, path, json_body=json_body, query=query, idempotency_key=idempotency_key
            )
        except ProblemError as error:
            return ApiResult(error.status, error.to_problem(path), headers=error.headers)
        body = _json_of(outcome.response)
        # A refusal's Retry-After (an account's sign-in backoff, answered by identity) reaches the page's answer too.
        retry_after = outcome.response.headers.get("retry-after")
        headers = {"Retry-After": retry_after} if retry_after else {}
        return ApiResult(outcome.response.status_code, body, outcome.new_session, headers=headers)

    async def upload(self, path: str, data: bytes, *, content_type: str) -> ApiResult:
        """A file posted as the request body (a CSV import), answered in JSON."""
        headers = [("content-type", content_type), ("accept", "application/json")]
        try:
            match = self.gateway.routes.match("POST", path)
            outcome = await self.gateway.forward(match, self.caller, "POST", headers=headers, content=data)
        except ProblemError as error:
            return ApiResult(error.status, error.to_problem(path), headers=error.headers)
        await outcome.response.aread()
        return ApiResult(outcome.response.status_code, _json_of(outcome.response))

    async def upload_form(
        self, path: str, fields: Mapping[str, str], file: UploadFile | None, *, file_field: str = "file"
    ) -> ApiResult:
        """A multipart form posted as the browser posted it to the page: `fields`, then the file, streamed from
        the spooled upload a chunk at a time (never read whole into memory here). No file (none chosen): the
        fields alone, and the service says what is missing."""
        form = MultipartStream(fields, file, file_field)
        headers = [
            ("Content-Type", form.content_type),
            ("Content-Length", str(await form.length())),
            ("Accept", "application/json"),
        ]
        try:
            match = self.gateway.routes.match("POST", path)
            outcome = await self.gateway.forward(match, self.caller, "POST", headers=headers, content=form.chunks())
        except ProblemError as error:
            return ApiResult(error.status, error.to_problem(path), headers=error.headers)
        try:
            await outcome.response.aread()
        finally:
            await outcome.response.aclose()
        return ApiResult(outcome.response.status_code, _json_of(outcome.response))

    async def relay(self, path: str, *, query: str = "") -> Response:
        """A file relayed as the service streams it, with the service's own type, length and name
        (Content-Disposition); a refusal is the page's error."""
        match = self.gateway.routes.match("GET", path)
        forwarded = await self.gateway.forward(match, self.caller, "GET", query=query, headers=[("accept", "*/*")])
        upstream = forwarded.response
        if not upstream.is_success:
            await upstream.aread()
            await upstream.aclose()
            raise problem(ApiResult(upstream.status_code, _json_of(upstream)))
        kept = {name: upstream.headers[name] for name in _RELAYED_FILE_HEADERS if name in upstream.headers}
        return StreamingResponse(
            _relay(upstream),
            media_type=upstream.headers.get("content-type", "application/octet-stream"),
            headers=kept,
        )

    async def download(self, path: str, *, accept: str, media_type: str, filename: str, query: str = "") -> Response:
        """A file relayed as the service streams it, never held whole here; a refusal is the page's error."""
        match = self.gateway.routes.match("GET", path)
        forwarded = await self.gateway.forward(match, self.caller, "GET", query=query, headers=[("accept", accept)])
        upstream = forwarded.response
        if not upstream.is_success:
            await upstream.aread()
            raise problem(ApiResult(upstream.status_code, _json_of(upstream)))
        return StreamingResponse(
            _relay(upstream),
            media_type=media_type,
            headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
        )


# What a relayed file keeps of the service's answer besides its type; the gateway adds its own to every answer
# (no-store, nosniff: gateway.security_headers).
_RELAYED_FILE_HEADERS = ("Content-Length", "Content-Disposition", "ETag")
# How much of an upload is read from its spool at a time on its way to the service.
UPLOAD_CHUNK_BYTES = 64 * 1024


class MultipartStream:
    """A multipart/form-data body made as it is sent: the text fields, then the file read from its spool a
    chunk at a time. Its length is known beforehand (the spool's size), so the service can refuse an
    over-size body from its Content-Length before reading any of it."""

    def __init__(self, fields: Mapping[str, str], file: UploadFile | None, file_field: str) -> None:
        self.boundary = f"distribu-{uuid.uuid4().hex}"
        self.file = file
        head = b"".join(self._part_head(name) + value.encode() + b"\r\n" for name, value in fields.items())
        if file is not None:
            head += self._part_head(file_field, file.filename or "file")
            head += b"Content-Type: application/octet-stream\r\n\r\n"
        self.head = head
        self.tail = (b"\r\n" if file is not None else b"") + f"--{self.boundary}--\r\n".encode()

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def _part_head(self, name: str, filename: str | None = None) -> bytes:
        disposition = f'form-data; name="{_quoted(name)}"'
        if filename is None:
            return f"--{self.boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
        return f'--{self.boundary}\r\nContent-Disposition: {disposition}; filename="{_quoted(filename)}"\r\n'.encode()

    async def length(self) -> int:
        return len(self.head) + await self._file_size() + len(self.tail)

    async def _file_size(self) -> int:
        if self.file is None:
            return 0
        if self.file.size is not None:  # counted by the form parser as it spooled the file
            return self.file.size
        size = self.file.file.seek(0, 2)
        self.file.file.seek(0)
        return size

    async def chunks(self) -> AsyncIterator[bytes]:
        yield self.head
        if self.file is not None:
            await self.file.seek(0)
            while chunk := await self.file.read(UPLOAD_CHUNK_BYTES):
                yield chunk
        yield self.tail


def _quoted(value: str) -> str:
    # As browsers write a form's names (WHATWG HTML, multipart/form-data): quote, CR and LF percent-encoded.
    return value.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def _json_of(response: httpx.Response) -> Any:
    try:
        return response.json() if response.content else None
    except ValueError:
        return None


async def _relay(upstream: httpx.Response) -> AsyncIterator[bytes]:
    # Closed in `finally`, so a download cancelled half-way does not leak the upstream connection.
    try:
        async for chunk in upstream.aiter_bytes():
            yield chunk
    finally:
        await upstream.aclose()


def problem(result: ApiResult) -> ProblemError:
    """A failed call a page cannot recover from, re-raised with the service's status and detail."""
    error = ProblemError(result.detail)
    error.status = result.status if 400 <= result.status < 600 else 502
    error.title = str(result.body.get("title", error.title)) if isinstance(result.body, dict) else error.title
    return error


def sentence(message: str) -> str:
    message = message.strip()
    if message.lower().startswith("value error, "):
        message = message[len("value error, ") :]
    if not message:
        return "This value is not valid."
    # A message that starts with what the user typed (an email, a SKU) shows it as typed, not capitalised.
    first_word = message.split(maxsplit=1)[0]
    if "@" in first_word or any(character.isdigit() for character in first_word):
        return message
    return message[:1].upper() + message[1:]


def id_or_404(value: str, what: str) -> str:
    """A path segment as an id; anything that is not one is a page that does not exist."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise NotFound(f"There is no such {what}.") from None
