"""Bytes to a validated event, or a reason fit for the dead-letter topic."""

from __future__ import annotations

from enum import Enum
from typing import Literal, TypeVar

from pydantic import TypeAdapter, ValidationError

from bureau.schemas.envelope import Envelope
from bureau.schemas.identity import KEY_FIELD, aggregate_id

T = TypeVar("T", bound=Envelope)


class InvalidEventError(ValueError):
    """The message can never be applied: it belongs in the dead-letter topic."""


class KeyCheck(Enum):
    """Whether ``decode`` compares the record key with the event's aggregate id."""

    SKIP = "skip"


def decode(
    adapter: TypeAdapter[T],
    body: bytes,
    max_bytes: int,
    key: bytes | Literal[KeyCheck.SKIP] | None = KeyCheck.SKIP,
) -> T:
    """Parse and validate ``body`` strictly, check its record key; else InvalidEventError."""
    if len(body) > max_bytes:
        raise InvalidEventError(f"message of {len(body)} bytes exceeds the {max_bytes} limit")
    try:
        # Strict: a JSON "2" or true is no capacity; ids, dates and enums still come as strings.
        event = adapter.validate_json(body, strict=True)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p)[:64] for p in err['loc']) or 'message'}: {err['msg']}"
            for err in exc.errors(include_url=False, include_input=False)[:5]
        )
        kind = "not JSON" if _is_json_error(exc) else "invalid event"
        raise InvalidEventError(f"{kind}: {_escaped(problems)}") from exc
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        # Decoding is deterministic: a retry would fail the same way and stall the partition.
        raise InvalidEventError(f"undecodable event: {type(exc).__name__}") from exc
    if key is not KeyCheck.SKIP:
        _check_key(event, key)
    return event


def _check_key(event: Envelope, key: bytes | None) -> None:
    expected = aggregate_id(event)
    field = KEY_FIELD[type(event)].replace("_", " ")
    if key is None:
        raise InvalidEventError(f"record has no key; it must be the event's {field} '{expected}'")
    try:
        text = key.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text != expected:
        shown = _escaped(key[:80].decode("utf-8", errors="replace"))
        raise InvalidEventError(
            f"record key '{shown}' differs from the event's {field} '{expected}'"
        )


def _escaped(text: str) -> str:
    # Field names and tags in the messages come from the sender: no control or bidi
    # characters of theirs go into the reason header or the logs.
    return text.encode("unicode_escape").decode("ascii")


def _is_json_error(exc: ValidationError) -> bool:
    return any(err["type"] == "json_invalid" for err in exc.errors())
