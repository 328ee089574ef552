"""Subject access: everything bureau holds on one student, opened, with where it lives.

Read-only over the store port's ``load``/``find``/``get_many``. Collections that
cannot be queried by student (their ids or packed entries name the student) are
scanned: an export is rare, and completeness matters more than speed here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from bureau.adapters.store import Document, Stored
from bureau.privacy.crypto import is_token, open_sealed
from bureau.privacy.fields import SEALED, student_named, unseal
from bureau.privacy.keys import KeyStore, MongoKeyStore
from bureau.settings import Settings

ON_THE_LOG = {
    "bureau.students.v1": "the school's own records of the student (compacted; erased by a "
    "tombstone under the student's key)",
    "bureau.applications.v1": "applications, decisions, ratings and remarks partners sent",
    "bureau.rounds.v1": "preferences the school submitted, rankings companies submitted",
    "bureau.research.v1": "teams the student was proposed for",
    "bureau.matches.v1": "suggestions about the student (reasons sealed)",
    "bureau.outcomes.<school>.v1": "decisions told to the school (reason and dates sealed)",
    "<topic>.dlq": "records bureau could not process",
}
"""Where copies may also be on Kafka; bureau's own reads are what is listed above it."""


class Reader(Protocol):
    """The read half of the store port that an export needs."""

    async def load(self, kind: str, key: str) -> Stored | None:
        """Return the aggregate ``kind``/``key``, or None."""
        ...

    async def find(self, collection: str, where: Mapping[str, Any]) -> list[Document]:
        """Return the documents whose fields equal ``where``'s."""
        ...

    async def get_many(self, collection: str, ids: Sequence[str]) -> list[Document]:
        """Return the documents with these ``_id``s."""
        ...


class ExportRefusedError(Exception):
    """No export: an unknown or erased student, or one of another school."""


async def export_student(
    reader: Reader, keystore: KeyStore, student_id: str, school_id: str
) -> dict[str, Any]:
    """Return everything held on ``student_id`` for their own school, decrypted."""
    stored = await reader.load("students", student_id)
    state = stored.state if stored else None
    if state is None:  # nothing, or a placeholder holding events that wait for them
        raise ExportRefusedError(f"bureau holds no student {student_id}")
    if (state.get("school_id") or state.get("profile", {}).get("school_id")) != school_id:
        raise ExportRefusedError(f"{student_id} is not a student of {school_id}")
    if state.get("erased"):
        raise ExportRefusedError(f"{student_id} was erased: nothing is left to export")
    held: list[dict[str, Any]] = [{"where": f"students/{student_id}", "data": state}]
    apps = await reader.find("applications", {"student_id": student_id})
    for doc in apps:
        held.append(await _item("applications", doc, keystore))
    for doc in await reader.find("placements", {"student_id": student_id}):
        held.append(await _item("placements", doc, keystore))
    offer_ids = sorted({d["offer_id"] for d in apps if "offer_id" in d})
    for book in await reader.get_many("offers", offer_ids):
        mine = _applications_in_book(book, student_id)
        if mine:
            held.append({"where": f"offers/{book['_id']}", "data": {"applications": mine}})
    held.extend(await _scanned(reader, keystore, student_id))
    key = await keystore.get(student_id)
    return {
        "student_id": student_id,
        "school_id": school_id,
        "held": held,
        "data_key": {"where": f"keys/{student_id}", "key_id": key.key_id if key else None},
        "also_on_topics": ON_THE_LOG,
    }


async def _item(collection: str, doc: Document, keystore: KeyStore) -> dict[str, Any]:
    opened = await unseal(doc, keystore, kind=collection)
    return {"where": f"{collection}/{doc['_id']}", "data": opened}


def _entries(mapping: Any) -> list[Any]:
    """The values of an IdMap as stored (``[{"key", "value"}]``) or as a dict."""
    if isinstance(mapping, dict):
        return list(mapping.values())
    return [e["value"] for e in mapping or () if isinstance(e, dict) and "value" in e]


def _applications_in_book(book: Document, student_id: str) -> list[Any]:
    apps = _entries(book.get("state", {}).get("applications"))
    return [a for a in apps if isinstance(a, dict) and a.get("student_id") == student_id]


async def _scanned(reader: Reader, keystore: KeyStore, student_id: str) -> list[dict[str, Any]]:
    held: list[dict[str, Any]] = []
    for doc in await reader.find("round_inputs", {"kind": "preferences", "subject": student_id}):
        held.append({"where": f"round_inputs/{doc['_id']}", "data": doc})
    for doc in await reader.find("round_inputs", {"kind": "ranking"}):
        ranking = list(doc.get("ranked", ()))
        if student_id in ranking:
            rank = {"offer_id": doc["subject"], "rank": ranking.index(student_id) + 1}
            held.append({"where": f"round_inputs/{doc['_id']}", "data": rank})
    # The questions whose teams name the student, through the indexed members view.
    asked = sorted(
        {
            str(v["question_id"])
            for v in await reader.find("team_members", {"student_id": student_id})
        }
    )
    for doc in await reader.get_many("research", asked):
        for team in _entries(doc.get("state", {}).get("teams")):
            for m in team.get("members", []):
                if m.get("student_id") == student_id:
                    held.append({"where": f"research/{doc['_id']}", "data": team})
    # Events waiting on an aggregate (parked) that name the student.
    for kind in ("students", "offers", "research", "rounds"):
        for doc in await reader.find(kind, {}):
            for n, entry in enumerate(doc.get("parked") or ()):
                if SEALED in entry and entry.get("student_id") == student_id:
                    entry = await unseal(entry, keystore, kind="parked", student_id=student_id)
                if student_named(entry.get("value") or "") == student_id:
                    held.append({"where": f"{kind}/{doc['_id']}/parked/{n}", "data": entry})
    return held


async def _open_value(value: Any, keystore: KeyStore, student_id: str) -> Any:
    if not is_token(value):
        return value
    key = await keystore.get(student_id)
    return open_sealed({key.key_id: key}, value) if key else None


async def export_from_settings(settings: Settings, student_id: str, school_id: str) -> str:
    """The export as JSON, read from the configured store and key store (``bureau student``)."""
    from bureau.adapters.mongo import MongoStore

    store = MongoStore(settings.mongo_url, settings.mongo_db)
    try:
        found = await export_student(store, MongoKeyStore(store.db), student_id, school_id)
    finally:
        await store.close()
    return json.dumps(found, indent=2, sort_keys=True, default=str)
