r"""Signed envelopes: who produced a record, since Kafka does not tell a consumer.

A partner signs ``key + b"\\x00" + value`` with its Ed25519 key and sends the headers
``bureau-signer`` (its org id) and ``bureau-signature`` (base64). bureau checks the
signature against the public key registered at onboarding (``bureau.partners.v1``) and
that the signer is the envelope's ``source``.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from bureau.embedded.secrets import write_secret

SIGNER = "bureau-signer"
SIGNATURE = "bureau-signature"

Headers = Mapping[str, str | bytes] | Sequence[tuple[str, bytes]]


class Refusal:
    """DLQ reasons of ``verify``."""

    UNSIGNED = "unsigned: no bureau-signer/bureau-signature header"
    UNKNOWN = "unknown signer"
    REVOKED = "revoked signer"
    BAD = "bad signature"
    NOT_SOURCE = "signer is not the envelope's source"


def generate_key() -> Ed25519PrivateKey:
    """Return a fresh Ed25519 private key."""
    return Ed25519PrivateKey.generate()


def save_private_key(path: Path, key: Ed25519PrivateKey) -> None:
    """Write ``key`` as unencrypted PKCS#8 PEM, readable by its owner only."""
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    write_secret(path, pem.decode())


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """Read an Ed25519 private key written by ``save_private_key``."""
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path}: not an Ed25519 private key")
    return key


def ensure_private_key(path: Path) -> Ed25519PrivateKey:
    """Load the key at ``path``, generating and saving one the first time."""
    if not path.exists():
        save_private_key(path, generate_key())
    return load_private_key(path)


def public_key_text(key: Ed25519PrivateKey) -> str:
    """Return the raw public key, base64: what the registry stores."""
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def _signed_bytes(key: bytes | None, value: bytes) -> bytes:
    return (key or b"") + b"\x00" + value


def sign(private_key: Ed25519PrivateKey, key: bytes | None, value: bytes) -> str:
    """Return the base64 signature of a record's key and value."""
    return base64.b64encode(private_key.sign(_signed_bytes(key, value))).decode()


def signed_headers(
    signer: str, private_key: Ed25519PrivateKey, key: bytes | None, value: bytes
) -> list[tuple[str, bytes]]:
    """Return the Kafka headers that sign a record as ``signer``."""
    return [
        (SIGNER, signer.encode()),
        (SIGNATURE, sign(private_key, key, value).encode()),
    ]


@dataclass(frozen=True, kw_only=True)
class PartnerEntry:
    """One registry record: an organisation's signing key and whether it is revoked."""

    org: str
    kind: str
    public_key: str
    revoked: bool = False

    def to_json(self) -> bytes:
        """Encode as the registry topic's record value."""
        return json.dumps(asdict(self), sort_keys=True).encode()

    @classmethod
    def from_json(cls, value: bytes) -> PartnerEntry:
        """Decode a registry record value."""
        data = json.loads(value)
        return cls(
            org=str(data["org"]),
            kind=str(data["kind"]),
            public_key=str(data["public_key"]),
            revoked=bool(data.get("revoked", False)),
        )


class PartnerRegistry(Mapping[str, PartnerEntry]):
    """The partner table in memory, kept current by ``follow`` from the compacted topic."""

    def __init__(self, entries: Mapping[str, PartnerEntry] | None = None) -> None:
        """Start with ``entries`` (none by default)."""
        self._entries: dict[str, PartnerEntry] = dict(entries or {})

    def __getitem__(self, org: str) -> PartnerEntry:
        """Return the entry of ``org``."""
        return self._entries[org]

    def __iter__(self) -> Iterator[str]:
        """Iterate over the org ids."""
        return iter(self._entries)

    def __len__(self) -> int:
        """Return the number of organisations known."""
        return len(self._entries)

    def apply(self, key: bytes | None, value: bytes | None) -> None:
        """Apply one registry record; a tombstone or an unreadable record removes the org."""
        if key is None:
            return
        org = key.decode(errors="replace")
        if value is None:
            self._entries.pop(org, None)
            return
        try:
            entry = PartnerEntry.from_json(value)
        except (ValueError, KeyError, TypeError):
            # Only the admin writes here; a broken record must not keep an old key alive.
            self._entries.pop(org, None)
            return
        self._entries[org] = entry


@functools.lru_cache(maxsize=4096)
def _public_key(text: str) -> Ed25519PublicKey:
    # Parsed once per key, not once per record.
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(text))


def _header(headers: Headers, name: str) -> bytes | None:
    items = headers.items() if isinstance(headers, Mapping) else headers
    for key, value in items:
        if key == name:
            return value.encode() if isinstance(value, str) else value
    return None


def signer_of(headers: Headers) -> str | None:
    """The org a record says signed it (the ``bureau-signer`` header), unchecked."""
    raw = _header(headers, SIGNER)
    return None if raw is None else raw.decode(errors="replace")


def verify(
    registry: Mapping[str, PartnerEntry],
    key: bytes | None,
    value: bytes,
    headers: Headers,
    source: str,
) -> str | None:
    """Return why a record may not be applied as ``source`` (a DLQ reason), or None."""
    signer_raw, signature_raw = _header(headers, SIGNER), _header(headers, SIGNATURE)
    if signer_raw is None or signature_raw is None:
        return Refusal.UNSIGNED
    signer = signer_raw.decode(errors="replace")
    entry = registry.get(signer)
    if entry is None:
        return Refusal.UNKNOWN
    if entry.revoked:
        return Refusal.REVOKED
    try:
        public = _public_key(entry.public_key)
        public.verify(base64.b64decode(signature_raw, validate=True), _signed_bytes(key, value))
    except (InvalidSignature, ValueError, binascii.Error):
        return Refusal.BAD
    if signer != source:
        return Refusal.NOT_SOURCE
    return None
