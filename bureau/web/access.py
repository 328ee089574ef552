"""Who may see what: an admin credential, and one credential per school.

A credential comes as ``Authorization: Bearer <token>`` or as HTTP basic with any
user name and the token as password (so a browser's own login prompt works).
Tokens are compared in constant time and never logged.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from dataclasses import dataclass, field
from pathlib import Path

from bureau.settings import Settings


class AccessError(Exception):
    """The request may not see the page: ``status`` 401 (who are you?) or 403 (not you)."""

    def __init__(self, status: int, detail: str) -> None:
        """Keep the status and a message fit for the error page."""
        super().__init__(detail)
        self.status, self.detail = status, detail


@dataclass(frozen=True)
class Access:
    """The configured credentials."""

    admin: str | None = None
    schools: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings) -> Access:
        """Read the admin token and the school tokens (environment map, then file)."""
        schools = {k: v.get_secret_value() for k, v in settings.web_school_tokens.items()}
        if settings.web_school_tokens_file is not None:
            loaded = json.loads(Path(settings.web_school_tokens_file).read_text())
            schools |= {str(k): str(v) for k, v in loaded.items()}
        admin = settings.web_admin_token
        return cls(admin=admin.get_secret_value() if admin else None, schools=schools)

    def is_admin(self, token: str | None) -> bool:
        """Whether ``token`` is the admin credential."""
        return _same(token, self.admin)

    def require_admin(self, authorization: str | None) -> None:
        """Raise AccessError unless the header carries the admin credential."""
        token = credential(authorization)
        if self.admin is None:
            raise AccessError(403, "The operator pages are disabled: no admin credential is set.")
        if token is None:
            raise AccessError(401, "The operator pages need the admin credential.")
        if not self.is_admin(token):
            known = any(_same(token, t) for t in self.schools.values())
            raise AccessError(403 if known else 401, "This credential may not see this page.")

    def require_school(self, authorization: str | None, school_id: str) -> None:
        """Raise AccessError unless the header carries this school's (or the admin) credential."""
        token = credential(authorization)
        if token is None:
            raise AccessError(401, "A school's page needs that school's credential.")
        if self.is_admin(token) or _same(token, self.schools.get(school_id)):
            return
        if any(_same(token, t) for t in self.schools.values()):
            raise AccessError(403, "A school may see only its own students' outcomes.")
        raise AccessError(401, "This credential is not known.")


def credential(authorization: str | None) -> str | None:
    """The token in a bearer or basic ``Authorization`` header, or None."""
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip() or None
    if scheme.lower() == "basic":
        pair = basic_pair(authorization)
        return pair[1] if pair else None
    return None


def basic_pair(authorization: str | None) -> tuple[str, str] | None:
    """The ``(user, password)`` of a basic ``Authorization`` header (password not empty)."""
    scheme, _, value = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, _, password = decoded.partition(":")
    return (user, password) if password else None


def _same(token: str | None, expected: str | None) -> bool:
    if token is None or expected is None:
        return False
    return hmac.compare_digest(token.encode(), expected.encode())


__all__ = ["Access", "AccessError", "basic_pair", "credential"]
