"""Bytes to a validated event, or a reason fit for the dead-letter topic."""

from __future__ import annotations

from typing import TypeVar

from pydantic import TypeAdapter, ValidationError

T = TypeVar("T")


class InvalidEventError(ValueError):
    """The message can never be applied: it belongs in the dead-letter topic."""


def decode(adapter: TypeAdapter[T], body: bytes, max_bytes: int) -> T:
    """Parse and validate ``body``; raise InvalidEventError with a short reason."""
    if len(body) > max_bytes:
        raise InvalidEventError(f"message of {len(body)} bytes exceeds the {max_bytes} limit")
    try:
        return adapter.validate_json(body)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'message'}: {err['msg']}"
            for err in exc.errors(include_url=False, include_input=False)[:5]
        )
        kind = "not JSON" if _is_json_error(exc) else "invalid event"
        raise InvalidEventError(f"{kind}: {problems}") from exc


def _is_json_error(exc: ValidationError) -> bool:
    return any(err["type"] == "json_invalid" for err in exc.errors())
