"""Request paths: the one strict reading of a client's path, and the exact target sent to a service."""

from urllib.parse import quote

from kit.errors import InvalidInput

# Characters a segment carries unencoded in the target sent to a service: RFC 3986 `pchar`, which is
# also the form yarl (aiohttp) normalizes a path to, so it has nothing left to re-decode. Everything
# else, `%`, `?`, `#` and `/` included, is percent-encoded: the service decodes exactly the segment
# the gateway authorized.
_SEGMENT_SAFE = "-._~!$&'()*+,;=:@"
_HEX_DIGITS = frozenset(b"0123456789abcdefABCDEF")


class InvalidPath(InvalidInput):
    """400: a path the gateway will not route, because some HTTP stack would read it differently."""

    title = "Invalid path"
    slug = "invalid-path"


def checked_path(raw_path: bytes) -> str:
    """The decoded path, if every segment means one thing to every HTTP stack; `InvalidPath` otherwise.

    Refused: dot segments (`.`, `..`, raw or percent-encoded), encoded slashes and any backslash
    (some stacks split on them), control characters (C0, DEL, C1) raw or encoded, empty segments
    (`//`; a trailing slash is kept), malformed percent-encoding and bytes that are not UTF-8.
    """
    if not raw_path.startswith(b"/"):
        raise InvalidPath("The path must start with '/'.")
    decoded = []
    for raw in raw_path[1:].split(b"/"):
        try:
            segment = _percent_decoded(raw).decode("utf-8")
        except UnicodeDecodeError as error:
            raise InvalidPath("The path is not valid UTF-8.") from error
        if "/" in segment:
            raise InvalidPath("The path has an encoded slash ('%2F') in a segment.")
        decoded.append(segment)
    return check_segments(decoded)


def checked_decoded_path(path: str) -> str:
    """`path` as already decoded (a page's call, a route's match), held to the same rules."""
    if not path.startswith("/"):
        raise InvalidPath("The path must start with '/'.")
    return check_segments(path[1:].split("/"))


def check_segments(segments: list[str]) -> str:
    """The path made of these decoded segments, if none is a dot, empty (but the last) or unsafe."""
    for index, segment in enumerate(segments):
        if segment in (".", ".."):
            raise InvalidPath("The path has a '.' or '..' segment.")
        if segment == "" and index < len(segments) - 1:
            raise InvalidPath("The path has an empty segment ('//').")
        if "\\" in segment:
            raise InvalidPath("The path has a backslash.")
        if any(_is_control(character) for character in segment):
            raise InvalidPath("The path has a control character.")
    return "/" + "/".join(segments)


def _percent_decoded(raw: bytes) -> bytes:
    decoded = bytearray()
    index = 0
    while index < len(raw):
        byte = raw[index]
        if byte == 0x25:  # '%'
            digits = raw[index + 1 : index + 3]
            if len(digits) != 2 or not all(digit in _HEX_DIGITS for digit in digits):
                raise InvalidPath("The path has a '%' that is not followed by two hex digits.")
            decoded.append(int(digits, 16))
            index += 3
        else:
            decoded.append(byte)
            index += 1
    return bytes(decoded)


def _is_control(character: str) -> bool:
    code = ord(character)
    return code < 0x20 or 0x7F <= code <= 0x9F


def upstream_target(path: str) -> str:
    """`path` (already checked) as a request target: each segment percent-encoded on its own.

    Built from the matched path alone, so the service receives the path that was authorized, byte
    for byte, whatever URL parser sits between (none has a dot segment or an escape left to reinterpret).
    """
    return "/".join(quote(segment, safe=_SEGMENT_SAFE) for segment in path.split("/"))
