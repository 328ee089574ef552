"""The erasure proof: look everywhere for a student's values, opening every token we can.

Every record of every topic under a prefix (dead letters included: keys, values and
headers) and every document of every collection is searched for each distinctive
value, in plaintext and inside every sealed token that a key still existing in the
key store opens. After crypto-shredding nothing may be found; a control run without
shredding must find the values (or the proof proves nothing).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient
from pymongo.asynchronous.database import AsyncDatabase

from bureau.privacy.crypto import TOKEN, DataKey, TamperedTokenError, open_sealed
from bureau.privacy.keys import KeyListing
from tests.support.kafka import admin_security, read_all


@dataclass(frozen=True)
class Finding:
    """A value found: where, which, and whether it was inside a token a live key opened."""

    where: str
    value: str
    sealed: bool


def search_text(
    where: str, text: str, needles: Iterable[str], keys: Mapping[str, DataKey]
) -> list[Finding]:
    """Find ``needles`` in ``text`` and inside every token in it that ``keys`` open."""
    wanted = list(needles)
    found = [Finding(where, n, sealed=False) for n in wanted if n in text]
    for match in TOKEN.finditer(text):
        try:
            opened = open_sealed(keys, match.group())
        except TamperedTokenError:
            continue
        if opened is None:
            continue
        inner = json.dumps(opened, ensure_ascii=False)
        found += [
            Finding(f"{where} (sealed)", f.value, sealed=True)
            for f in search_text(where, inner, wanted, keys)
        ]
    return found


def scan_documents(
    collections: Mapping[str, Iterable[Mapping[str, Any]]],
    needles: Iterable[str],
    keys: Mapping[str, DataKey],
) -> list[Finding]:
    """Search every document of every collection (``{name: documents}``)."""
    wanted = list(needles)
    found: list[Finding] = []
    for name, docs in collections.items():
        for doc in docs:
            text = json.dumps(doc, default=str, ensure_ascii=False)
            found += search_text(f"{name}/{doc.get('_id')}", text, wanted, keys)
    return found


async def topics_under(bootstrap: str, prefix: str) -> list[str]:
    """Every topic whose name starts with ``prefix`` (Kafka's internal ones left out)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **admin_security())
    await admin.start()
    try:
        names = await admin.list_topics()
    finally:
        await admin.close()
    return sorted(t for t in names if t.startswith(prefix) and not t.startswith("__"))


async def scan_kafka(
    bootstrap: str, prefix: str, needles: Iterable[str], keys: Mapping[str, DataKey]
) -> list[Finding]:
    """Search every record (key, value, headers) of every topic under ``prefix``."""
    wanted = list(needles)
    found: list[Finding] = []
    for topic in await topics_under(bootstrap, prefix):
        for r in await read_all(bootstrap, topic):
            parts = [r.key or b"", r.value or b"", *(v for _, v in r.headers or ())]
            text = "\n".join(p.decode("utf-8", "replace") for p in parts)
            found += search_text(f"{topic}/{r.partition}/{r.offset}", text, wanted, keys)
    return found


async def scan_mongo(
    db: AsyncDatabase[dict[str, Any]], needles: Iterable[str], keys: Mapping[str, DataKey]
) -> list[Finding]:
    """Search every document of every collection of ``db``."""
    collections = {
        name: [doc async for doc in db[name].find({})]
        for name in sorted(await db.list_collection_names())
    }
    return scan_documents(collections, needles, keys)


async def live_keys(keystore: KeyListing) -> dict[str, DataKey]:
    """Every key that still exists, by key id."""
    return {k.key_id: k for k in await keystore.all_keys()}


async def erasure_proof(
    *,
    bootstrap: str,
    prefix: str,
    db: AsyncDatabase[dict[str, Any]],
    keystore: KeyListing,
    needles: Sequence[str],
) -> list[Finding]:
    """Every place on the log or in the store where one of ``needles`` is still readable."""
    keys = await live_keys(keystore)
    return [
        *await scan_kafka(bootstrap, prefix, needles, keys),
        *await scan_mongo(db, needles, keys),
    ]
