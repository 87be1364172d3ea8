"""A receiver's `Retry-After`, in seconds or as an HTTP date, read as the delay before the next attempt."""

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from services.webhooks.deliveries.sender import retry_after_seconds

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_seconds_are_taken_as_they_are() -> None:
    assert retry_after_seconds("120", NOW) == 120.0


def test_an_http_date_is_the_time_until_it() -> None:
    later = format_datetime(NOW + timedelta(minutes=5), usegmt=True)

    assert retry_after_seconds(later, NOW) == 300.0


def test_a_date_in_the_past_means_now() -> None:
    assert retry_after_seconds(format_datetime(NOW - timedelta(hours=1), usegmt=True), NOW) == 0.0


def test_nonsense_is_ignored() -> None:
    assert retry_after_seconds("soon", NOW) is None
    assert retry_after_seconds(None, NOW) is None
    assert retry_after_seconds("-5", NOW) is None
