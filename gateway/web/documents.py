"""Documents as the pages show them: a file's size as people read it (`2.4 MB`), its kind in words, and how far
off its expiry date is (`expires in 10 days`, `expired 3 days ago`)."""

import datetime as dt

DOCUMENT_KINDS = {"INVOICE": "Invoice", "PACKING_LIST": "Packing list", "FILE": "File"}
_UNITS = ("KB", "MB", "GB")


def file_size(size_bytes: int | None) -> str:
    """Binary multiples, as file managers and browsers' download bars show them; one decimal below ten."""
    if size_bytes is None:
        return "—"
    if size_bytes < 1024:
        return f"{size_bytes} byte" + ("" if size_bytes == 1 else "s")
    size = float(size_bytes)
    for unit in _UNITS:
        size /= 1024
        if size < 1024 or unit == _UNITS[-1]:
            return f"{size:.1f} {unit}" if size < 10 else f"{size:.0f} {unit}"
    raise AssertionError("unreachable")


def document_kind(kind: str | None) -> str:
    return DOCUMENT_KINDS.get(str(kind), str(kind or "").replace("_", " ").capitalize())


def today() -> dt.date:
    # Expiry dates are calendar days, compared with today's in UTC, as the service lists them.
    return dt.datetime.now(dt.UTC).date()


def days_until(expires_at: str | None, on: dt.date | None = None) -> int | None:
    """Days from today to the expiry date: negative once it has passed; None without a readable date."""
    if not expires_at:
        return None
    try:
        expires = dt.date.fromisoformat(str(expires_at)[:10])
    except ValueError:
        return None
    return (expires - (on or today())).days


def expiry_in_words(expires_at: str | None, on: dt.date | None = None) -> str:
    days = days_until(expires_at, on)
    if days is None:
        return ""
    if days == 0:
        return "expires today"
    if days == 1:
        return "expires tomorrow"
    if days > 1:
        return f"expires in {days} days"
    if days == -1:
        return "expired yesterday"
    return f"expired {-days} days ago"
