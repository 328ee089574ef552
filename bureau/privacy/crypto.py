"""Sealing a student's personal data with their own data key (AES-256-GCM).

A token is ``bk1.<key id>.<base64url(nonce || ciphertext)>``. The associated data is
the key's student id, so a token only opens as that student's data, and the key id
says which key it needs: once that key is deleted (crypto-shredding) every copy of
the token, wherever it was copied to, is noise.

The nonce is synthetic (an HMAC of the plaintext under a subkey of the data key), as
in SIV: sealing the same value for the same student twice gives the same token, so a
re-delivered or replayed event keeps its bytes, and two different plaintexts under
one key collide on a nonce only with negligible probability.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "bk1"
"""Version tag of the token format; scanners look for it."""

TOKEN = re.compile(r"bk1\.[0-9a-f]{16,64}\.[A-Za-z0-9_-]+")
"""What a sealed token looks like inside any text (a document, a record, a header)."""

_NONCE_BYTES = 12


class TamperedTokenError(ValueError):
    """The token does not open under its own key: altered, or moved to another student."""


@dataclass(frozen=True)
class DataKey:
    """One student's data key: the id written into tokens, the owner, the secret."""

    key_id: str
    student_id: str
    secret: bytes = field(repr=False)
    # Derived once per key: building the cipher and the nonce subkey per call
    # cost more than the encryption itself.
    _cipher: AESGCM = field(init=False, repr=False, compare=False)
    _nonce_key: bytes = field(init=False, repr=False, compare=False)
    _aad: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_cipher", AESGCM(self.secret))
        subkey = hmac.new(self.secret, b"bureau/nonce", hashlib.sha256).digest()
        object.__setattr__(self, "_nonce_key", subkey)
        object.__setattr__(self, "_aad", f"bureau/student/{self.student_id}".encode())


def new_key(student_id: str) -> DataKey:
    """Make a fresh random 256-bit data key for ``student_id``."""
    return DataKey(secrets.token_hex(16), student_id, AESGCM.generate_key(bit_length=256))


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"))
"""What ``json.dumps(obj, sort_keys=True, separators=(",", ":"))`` builds on every call,
built once: the plaintext of every token (one per suggestion) goes through it."""


def seal(key: DataKey, obj: Any) -> str:
    """Encrypt a JSON-able value for ``key``'s student; return a compact text token."""
    plain = _CANONICAL.encode(obj).encode()
    nonce = hmac.digest(key._nonce_key, plain, "sha256")[:_NONCE_BYTES]
    sealed = key._cipher.encrypt(nonce, plain, key._aad)
    return f"{PREFIX}.{key.key_id}.{_b64(nonce + sealed)}"


def key_id_of(token: str) -> str:
    """Return the id of the key ``token`` needs (ValueError if it is not a token)."""
    prefix, key_id, _ = token.split(".", 2)
    if prefix != PREFIX:
        raise ValueError(f"not a bureau token: {prefix!r}")
    return key_id


def open_sealed(keys: Mapping[str, DataKey], token: str) -> Any | None:
    """Decrypt ``token`` with its key from ``keys`` (by key id); None when that key is gone."""
    key = keys.get(key_id_of(token))
    if key is None:
        return None
    raw = _unb64(token.split(".", 2)[2])
    try:
        plain = key._cipher.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], key._aad)
    except InvalidTag as e:
        raise TamperedTokenError(f"token under {key.key_id} does not authenticate") from e
    return json.loads(plain)


def is_token(value: object) -> bool:
    """Tell whether ``value`` is a whole sealed token."""
    return isinstance(value, str) and TOKEN.fullmatch(value) is not None
