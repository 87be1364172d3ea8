"""The public JSON shape (CamelModel: camelCase on the wire) and the one rule for text that clients send."""

import functools
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, get_args, get_origin

from pydantic import AfterValidator, BaseModel, ConfigDict
from pydantic.alias_generators import to_camel
from pydantic.config import JsonDict
from pydantic_core import PydanticCustomError

# Invisible characters that reorder or hide text: the bidi marks, embeddings, overrides and isolates
# (Trojan-Source spoofing), zero-width spaces, the word joiner and invisible operators, the soft hyphen,
# the BOM and the interlinear annotation marks. Other format characters (category Cf) stay allowed because
# real text needs them: ZWNJ and ZWJ (U+200C, U+200D) in Persian and Indic spelling and in emoji sequences,
# tag characters in flag emoji, Arabic number signs, Egyptian hieroglyph format controls. As JSON Schema
# regex class ranges, so the rule and its published pattern are one definition.
INVISIBLE_FORMATTING = (
    "\\u00AD\\u061C\\u180E\\u200B\\u200E\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u206F\\uFEFF\\uFFF9-\\uFFFB"
)
# C0 controls, DEL and C1 controls; a multi-line field takes tab, LF and CR.
_CONTROLS = "\\u0000-\\u001F\\u007F-\\u009F"
_MULTI_LINE_CONTROLS = "\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F"
# U+2028 and U+2029 are line and paragraph separators: line breaks, so not in single-line text.
_SINGLE_LINE_REFUSED = _CONTROLS + "\\u2028\\u2029" + INVISIBLE_FORMATTING
_MULTI_LINE_REFUSED = _MULTI_LINE_CONTROLS + INVISIBLE_FORMATTING
# Lone surrogates are not Unicode (UTF-8 cannot encode them); they are checked here but left out of the
# published pattern, which Rust's regex (schemathesis's validator) refuses when it names them.
_SURROGATES = "\\uD800-\\uDFFF"
_REFUSED = {
    False: re.compile(f"[{_SINGLE_LINE_REFUSED}{_SURROGATES}]"),
    True: re.compile(f"[{_MULTI_LINE_REFUSED}{_SURROGATES}]"),
}


class MultiLine:
    """Marks a text field whose value may span lines (tab, LF and CR allowed): `Annotated[str, MULTI_LINE]`."""

    def __repr__(self) -> str:
        return "MULTI_LINE"


MULTI_LINE = MultiLine()


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """Why `value` is refused as client text, or None when it is fine.

    Refused: C0 controls and DEL (tab, LF and CR too, unless `multiline`), C1 controls, U+2028/U+2029
    (unless `multiline`), lone surrogates and the invisible characters that reorder or hide text
    (`INVISIBLE_FORMATTING`). PostgreSQL refuses NUL outright; the rest would be stored and then spoof
    or break what shows it.
    """
    found = _REFUSED[multiline].search(value)
    if found is None:
        return None
    character = found.group()
    code = f"U+{ord(character):04X}"
    category = unicodedata.category(character)
    if character in "\n\r\u2028\u2029":
        return f"Must be a single line (found a line break, {code})."
    if category == "Cc":
        return f"Must not contain control characters (found {code})."
    if category == "Cs":
        return f"Must be valid Unicode text (found a lone surrogate, {code})."
    return f"Must not contain invisible formatting characters (found {code})."


def checked_text(value: str) -> str:
    """`text_problem` as a pydantic validator, for single-line text that does not come through a request."""
    problem = text_problem(value)
    if problem is not None:
        raise PydanticCustomError("text_characters", problem)
    return value


SafeText = Annotated[str, AfterValidator(checked_text)]


@dataclass(frozen=True)
class TextError:
    """A refused string at `loc`: keys and list indexes from the document's root, as the client sent them."""

    loc: tuple[str | int, ...]
    message: str


@dataclass(frozen=True)
class _TextField:
    multiline: bool
    # The model that reads a JSON object given for this field, whose own fields say how their text is checked.
    model: "type[CamelModel] | None"


# A string schema that already says what its text looks like keeps its own word for it.
_SPECIFIC_STRING_KEYWORDS = ("pattern", "format", "enum", "const")


def text_pattern(*, multiline: bool = False) -> str:
    """`text_problem`'s rule as a JSON Schema `pattern` (the same class ranges, `\\uXXXX` escapes that both
    Python's `re` and ECMA-262 read). Lone surrogates are left out: see `_SURROGATES`."""
    return f"^[^{_MULTI_LINE_REFUSED if multiline else _SINGLE_LINE_REFUSED}]*$"


def add_text_pattern(schema: JsonDict, *, multiline: bool = False) -> None:
    """State `text_pattern` on every string in `schema` that has no pattern, format, enum or const of its own.

    Goes through `anyOf`/`oneOf`/`allOf` branches (an optional field), array items and a map's values, but
    not into `$ref`: a referenced model states its own rule.
    """
    if schema.get("type") == "string" and not any(keyword in schema for keyword in _SPECIFIC_STRING_KEYWORDS):
        schema["pattern"] = text_pattern(multiline=multiline)
    for keyword in ("anyOf", "oneOf", "allOf", "prefixItems"):
        branches = schema.get(keyword)
        if isinstance(branches, list):
            for branch in branches:
                if isinstance(branch, dict):
                    add_text_pattern(branch, multiline=multiline)
    for keyword in ("items", "additionalProperties"):
        if isinstance(inner := schema.get(keyword), dict):
            add_text_pattern(inner, multiline=multiline)


def _document_text_rule(schema: JsonDict, model: "type[CamelModel]") -> None:
    """A CamelModel's JSON schema states the text rule its fields are checked by (`text_errors`)."""
    fields = _text_fields(model)
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return
    for name, property_schema in properties.items():
        if isinstance(property_schema, dict):
            field = fields.get(name)
            add_text_pattern(property_schema, multiline=field is not None and field.multiline)


class CamelModel(BaseModel):
    # The schema states what `text_errors` refuses, so clients and API fuzzers know before they send.
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, from_attributes=True, json_schema_extra=_document_text_rule
    )

    @classmethod
    def text_errors(cls, data: Any, loc: tuple[str | int, ...] = ()) -> list[TextError]:
        """Every string of `data` (a decoded JSON document meant for this model) that breaks `text_problem`.

        Checked before validation, on what the client sent, so that responses, events and contexts built
        from stored values (which validate through the same models) never pay for it or fail on old data.
        """
        return text_errors(data, cls, loc)


def text_errors(data: Any, model: "type[CamelModel] | None", loc: tuple[str | int, ...] = ()) -> list[TextError]:
    """Every string of the decoded JSON `data` that `text_problem` refuses; all single-line without a model."""
    errors: list[TextError] = []
    _check_document(data, loc, multiline=False, model=model, errors=errors)
    return errors


def _check_document(
    value: Any, loc: tuple[str | int, ...], *, multiline: bool, model: type[CamelModel] | None, errors: list[TextError]
) -> None:
    if isinstance(value, str):
        problem = text_problem(value, multiline=multiline)
        if problem is not None:
            errors.append(TextError(loc, problem))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_document(item, (*loc, index), multiline=multiline, model=model, errors=errors)
    elif isinstance(value, dict):
        fields = _text_fields(model) if model is not None else None
        for key, item in value.items():
            if fields is None:
                # Free-form JSON (no model behind it) is stored as given: its keys are text too.
                problem = text_problem(key)
                if problem is not None:
                    errors.append(TextError((*loc, key), problem))
                _check_document(item, (*loc, key), multiline=multiline, model=None, errors=errors)
            elif (field := fields.get(key)) is not None:
                # Keys no field reads are ignored by the model, so never stored: nothing to check.
                _check_document(item, (*loc, key), multiline=field.multiline, model=field.model, errors=errors)


def model_in(annotation: Any) -> "type[CamelModel] | None":
    """The CamelModel that reads values of `annotation` (itself, or inside Optional, a union or a list)."""
    return next(
        (part for part in _annotation_parts([annotation]) if isinstance(part, type) and issubclass(part, CamelModel)),
        None,
    )


@functools.cache
def _text_fields(model: type[CamelModel]) -> dict[str, _TextField]:
    """How each field of `model` takes text, under every name a client may use for it (alias and name)."""
    fields: dict[str, _TextField] = {}
    for name, info in model.model_fields.items():
        annotation_parts = [info.annotation, *info.metadata]
        text_field = _TextField(
            multiline=any(isinstance(part, MultiLine) for part in _annotation_parts(annotation_parts)),
            model=model_in(info.annotation),
        )
        fields[name] = text_field
        if info.alias:
            fields[info.alias] = text_field
    return fields


def _annotation_parts(parts: list[Any]) -> Iterator[Any]:
    """Every type and Annotated marker inside `parts`: through Optional, unions, lists and Annotated."""
    for part in parts:
        yield part
        # A dict's values are read by key, not as a model's fields: its JSON is checked as free-form.
        if get_origin(part) not in (None, dict, Mapping):
            yield from _annotation_parts(list(get_args(part)))


def blank_is_none(value: str | None) -> str | None:
    """Optional text fields store "nothing" one way: an empty or all-blank value reads as null.

    Use after a `strip_whitespace` constraint: `AfterValidator(blank_is_none)`.
    """
    return value or None
