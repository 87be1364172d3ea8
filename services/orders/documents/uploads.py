"""Reading a vault upload as it streams in: the multipart body parsed part by part, the file's type found in its
first bytes, its size and sha256 counted on the way, and its bytes handed on in chunks, never held whole.

The limits are enforced while reading: 413 the moment the file passes `MAX_FILE_BYTES` (or the body
`MAX_BODY_BYTES`), 415 as soon as its first `SNIFF_BYTES` say it is not an accepted type, before anything of it is
stored.
"""

import codecs
import hashlib
import re
import unicodedata
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Protocol

import filetype  # type: ignore[import-untyped]
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from kit.errors import ContentTooLarge, ProblemError, UnsupportedMediaType

# The largest file a vault takes.
MAX_FILE_BYTES = 10 * 1024 * 1024
# The largest request body: the file and the multipart framing and text fields around it. The gateway's limit
# for the upload routes (gateway/routes.py DOCUMENT_UPLOAD_BODY_BYTES) is the same, so it passes every upload
# this would accept and nothing larger.
MAX_BODY_BYTES = MAX_FILE_BYTES + 64 * 1024
# How much of the file's start is read before its type is decided and anything of it is stored.
SNIFF_BYTES = 8 * 1024
# A text field longer than this is not read further (a title is at most 200 characters).
MAX_FIELD_BYTES = 4 * 1024

FILE_FIELD = "file"
TITLE_FIELD = "title"
EXPIRES_FIELD = "expiresAt"
_TEXT_FIELDS = (TITLE_FIELD, EXPIRES_FIELD)

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# The types a vault takes, as found in the bytes (filetype knows every one but CSV, which has no signature).
SIGNED_TYPES = frozenset({PDF, PNG, JPEG, XLSX, DOCX})
ACCEPTED_TYPES_TEXT = "PDF, PNG, JPEG, CSV, XLSX or DOCX"
MAX_FILE_NAME = 255
_PATH_SEPARATORS = re.compile(r"[\\/]")
# Text may hold tabs and line ends; any other control character means a binary file.
_TEXT_CONTROLS = frozenset("\t\n\r\f")


class InvalidUpload(ProblemError):
    """422: the upload's form is incomplete or malformed; `errors` names the field."""

    status = 422
    title = "Invalid request"
    slug = "validation-failed"


def too_large() -> ContentTooLarge:
    return ContentTooLarge(f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB, the most a document can be.")


def wrong_type() -> UnsupportedMediaType:
    return UnsupportedMediaType(
        f"This file's content is not a type documents accept: upload a {ACCEPTED_TYPES_TEXT} file. "
        "The type is read from the file itself, not from its name."
    )


def invalid(field_name: str, message: str) -> InvalidUpload:
    return InvalidUpload(message, errors=[{"field": field_name, "message": message}])


def _is_text(head: bytes, *, complete: bool) -> bool:
    """UTF-8 text (a byte order mark allowed) with no NUL nor other control characters than tabs and line ends."""
    if b"\x00" in head:
        return False
    try:
        # The head may end inside a character: an incremental decoder leaves it for later unless the file ends there.
        text = codecs.getincrementaldecoder("utf-8-sig")().decode(head, final=complete)
    except UnicodeDecodeError:
        return False
    return not any(unicodedata.category(c) == "Cc" and c not in _TEXT_CONTROLS for c in text)


def sniff_content_type(head: bytes, *, complete: bool) -> str | None:
    """The accepted type the file's first bytes show, or None. `complete` when `head` is the whole file."""
    kind = filetype.guess(head)
    if kind is not None:
        mime = str(kind.mime)
        return mime if mime in SIGNED_TYPES else None
    return CSV if _is_text(head, complete=complete) else None


def base_file_name(given: str) -> str:
    """The name a file is kept under: the base name given, without path parts nor control characters, at most 255
    characters (the extension kept); "file" when nothing is left."""
    name = _PATH_SEPARATORS.split(given)[-1]
    name = "".join(c for c in name if unicodedata.category(c) != "Cc").strip()
    if name in ("", ".", ".."):
        return "file"
    if len(name) > MAX_FILE_NAME:
        stem, dot, extension = name.rpartition(".")
        if dot and stem and len(extension) < 20:
            return stem[: MAX_FILE_NAME - len(extension) - 1] + "." + extension
        return name[:MAX_FILE_NAME]
    return name


class ChunkSink(Protocol):
    """Where an upload's file goes: told its name and type once they are known, then given its bytes in order."""

    async def begin(self, file_name: str, content_type: str) -> None: ...

    async def write(self, data: bytes) -> None: ...


@dataclass
class ReceivedUpload:
    """What the form held: the file's name, type, size and digest (its bytes went to the sink), and the text fields."""

    file_name: str
    content_type: str
    size_bytes: int
    sha256: str
    fields: dict[str, str]
    # Text fields sent longer than `MAX_FIELD_BYTES`, cut there.
    overlong: set[str]


@dataclass
class _Part:
    headers: dict[str, str] = field(default_factory=dict)
    name: str | None = None
    file_name: str | None = None


class _FormReader:
    """Callbacks of `MultipartParser`: sorts each part's bytes into the file's buffer or a text field.

    The callbacks run synchronously inside `parser.write`; the async caller drains `pending` after each write.
    """

    def __init__(self) -> None:
        self.part = _Part()
        self.header_field = bytearray()
        self.header_value = bytearray()
        self.file_seen = False
        self.in_file = False
        self.file_ended = False
        self.file_name = "file"
        # Known once the file's first bytes have been read.
        self.content_type: str | None = None
        self.pending = bytearray()
        self.size = 0
        self.digest = hashlib.sha256()
        self.fields: dict[str, bytearray] = {}
        self.overlong: set[str] = set()
        self.ended = False

    def callbacks(self) -> dict[str, object]:
        return {
            "on_part_begin": self.on_part_begin,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
            "on_end": self.on_end,
        }

    def on_part_begin(self) -> None:
        self.part = _Part()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        name = bytes(self.header_field).decode("latin-1").strip().lower()
        # Kept byte for byte (latin-1 maps each byte to one character): a file name's UTF-8 is decoded once parsed.
        self.part.headers[name] = bytes(self.header_value).decode("latin-1")
        self.header_field.clear()
        self.header_value.clear()

    def on_headers_finished(self) -> None:
        _disposition, options = parse_options_header(self.part.headers.get("content-disposition", ""))
        name = options.get(b"name")
        file_name = options.get(b"filename")
        self.part.name = name.decode("utf-8", errors="replace") if name is not None else None
        self.part.file_name = file_name.decode("utf-8", errors="replace") if file_name is not None else None
        if self.part.name == FILE_FIELD:
            if self.file_seen:
                raise invalid(FILE_FIELD, "Send one file per upload.")
            self.file_seen = True
            self.in_file = True
            self.file_name = base_file_name(self.part.file_name or "")
        elif self.part.name in _TEXT_FIELDS:
            self.fields[self.part.name] = bytearray()

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self.in_file:
            piece = data[start:end]
            self.size += len(piece)
            if self.size > MAX_FILE_BYTES:
                raise too_large()
            self.digest.update(piece)
            self.pending += piece
        elif self.part.name in self.fields:
            value = self.fields[self.part.name]
            room = max(MAX_FIELD_BYTES - len(value), 0)
            if end - start > room:
                self.overlong.add(self.part.name)
            value += data[start : min(end, start + room)]

    def on_part_end(self) -> None:
        if self.in_file:
            self.in_file = False
            self.file_ended = True

    def on_end(self) -> None:
        self.ended = True


def multipart_boundary(content_type: str | None) -> bytes:
    """The boundary of a multipart/form-data body; 415 for any other body."""
    media_type, options = parse_options_header(content_type or "")
    boundary = options.get(b"boundary")
    if media_type != b"multipart/form-data" or not boundary:
        raise UnsupportedMediaType("Send the document as multipart/form-data, the file in a field named file.")
    return boundary


async def receive_upload(
    body: AsyncIterator[bytes], content_type: str | None, sink: ChunkSink, *, chunk_bytes: int
) -> ReceivedUpload:
    """Read the multipart body as it arrives, handing the file to `sink` in `chunk_bytes` pieces once its first
    bytes show an accepted type. Refusals: 413 (too large), 415 (not an accepted type), 422 (no file, an empty
    one, a malformed body)."""
    reader = _FormReader()
    parser = MultipartParser(multipart_boundary(content_type), reader.callbacks())  # type: ignore[arg-type]
    received = 0

    async def drain(*, final: bool) -> None:
        if reader.content_type is None:
            if len(reader.pending) < SNIFF_BYTES and not reader.file_ended:
                return
            if reader.size == 0:
                return
            content_type = sniff_content_type(bytes(reader.pending[:SNIFF_BYTES]), complete=reader.file_ended)
            if content_type is None:
                raise wrong_type()
            await sink.begin(reader.file_name, content_type)
            reader.content_type = content_type
        while len(reader.pending) >= chunk_bytes or (final and reader.pending):
            piece = bytes(reader.pending[:chunk_bytes])
            del reader.pending[:chunk_bytes]
            await sink.write(piece)

    try:
        async for data in body:
            received += len(data)
            if received > MAX_BODY_BYTES:
                raise too_large()
            parser.write(data)
            await drain(final=False)
    except MultipartParseError as error:
        raise invalid("body", "The body is not valid multipart/form-data.") from error
    if not reader.ended:
        raise invalid("body", "The multipart/form-data body ended early: the upload was cut short.")
    if not reader.file_seen:
        raise invalid(FILE_FIELD, "Choose a file to upload.")
    if reader.size == 0:
        raise invalid(FILE_FIELD, "The file is empty.")
    await drain(final=True)
    if reader.content_type is None:
        raise wrong_type()
    return ReceivedUpload(
        file_name=reader.file_name,
        content_type=reader.content_type,
        size_bytes=reader.size,
        sha256=reader.digest.hexdigest(),
        fields={name: bytes(value).decode("utf-8", errors="replace") for name, value in reader.fields.items()},
        overlong=reader.overlong,
    )
