"""Base pydantic model for the public JSON shape: camelCase on the wire, snake_case in Python."""

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class CamelModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, from_attributes=True)


def blank_is_none(value: str | None) -> str | None:
    """Optional text fields store "nothing" one way: an empty or all-blank value reads as null.

    Use after a `strip_whitespace` constraint: `AfterValidator(blank_is_none)`.
    """
    return value or None
