"""Which fields are a student's personal data, and sealing them under the student's key.

Personal: everything in a profile beyond the pseudonym and the school, and whatever
is written about the student (reasons quoting their skills or level, remarks,
ratings, the dates and history of their placements, their preferences). Ids,
statuses and scores stay readable: partners route and count by them.

Where a record leaves bureau or rests outside the student's own document, the
personal fields of each dict named below are replaced by one ``sealed`` token
under the key of the student that dict is about (``owner``). A student whose key
was shredded gets no token: the fields are dropped (a late event about an erased
student is scrubbed, not sealed). Aggregates that the domain re-reads on every
event (offer books, research questions) are scrubbed on erasure instead: see
``bureau.privacy.scrub``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from bureau.privacy.crypto import DataKey, open_sealed, seal
from bureau.privacy.keys import KeyStore, keys_for, write_keys

SEALED = "sealed"
"""The field that carries the token in place of the personal fields."""


@dataclass(frozen=True)
class Personal:
    """The personal ``fields`` of the dicts at ``at``, about the student named by ``owner``."""

    fields: tuple[str, ...]
    at: str = ""
    """Dotted path to the dicts; ``*`` spans a mapping's values or a list's items."""
    owner: str = "student_id"
    """Field of that dict naming the student; empty: the student the caller names."""

    @cached_property
    def path(self) -> list[str]:
        """``at`` split once (every suggestion bureau seals walks it)."""
        return self.at.split(".") if self.at else []


EVENTS: dict[str, tuple[Personal, ...]] = {
    # reasons quote the student's level and skills ("shared skills: linux, networking")
    "MatchSuggested": (Personal(("reasons",), at="data"),),
    # the reason is free text about the student; the dates say where they are when
    "PlacementOutcome": (Personal(("reason", "start", "end"), at="data"),),
    # which consents the student withdrew
    "ConsentWithdrawalApplied": (Personal(("purposes",), at="data"),),
}
"""Events bureau emits, by ``event_type``."""

VIEWS: dict[str, tuple[Personal, ...]] = {
    "applications": (Personal(("start", "end", "rating", "history")),),
    "placements": (Personal(("start", "end")),),
    # a parked or dead-lettered record is sealed whole, under the student it names
    "parked": (Personal(("value",), owner=""),),
    "dlq": (Personal(("value",), owner=""),),
}
"""Stored views and copies, by collection (``dlq``: a dead letter bureau writes)."""

BY_STUDENT: dict[str, str] = {"round_preferences": "entries"}
"""Views holding a mapping student id → their data: each value sealed under its key."""

SCRUBBED: dict[str, str] = {
    "students": "tombstone: pseudonym, school and erased=true only",
    "offers": "book: the student's applications lose dates, rating and history",
    "research": "question: the student leaves every proposed team",
    "round_rankings": "the student's id is removed from every ranking",
    "round_preferences": "the student's entry is removed",
    "pair_scores": "documents <offer>/<student> are deleted",
    "notifications": "bodies are sealed MatchSuggested events; nothing to do",
    "keys": "the key is replaced by a tombstone: the durable list of erased pseudonyms",
}
"""Collections erasure scrubs (no token would help: the domain reads them in plaintext)."""


def specs(kind: str) -> tuple[Personal, ...]:
    """Return the personal-field specs of an event type or a view (none if unknown)."""
    return EVENTS.get(kind) or VIEWS.get(kind) or ()


def _targets(node: Any, path: list[str]) -> Iterable[dict[str, Any]]:
    if "*" not in path:  # one dict at most: walk it without a generator per step
        for head in path:
            if not isinstance(node, dict) or head not in node:
                return ()
            node = node[head]
        return (node,) if isinstance(node, dict) else ()
    return _spanning(node, path)


def _spanning(node: Any, path: list[str]) -> Iterator[dict[str, Any]]:
    if not path:
        if isinstance(node, dict):
            yield node
        return
    head, rest = path[0], path[1:]
    if head == "*":
        children = (
            node.values() if isinstance(node, dict) else node if isinstance(node, list) else []
        )
        for child in children:
            yield from _spanning(child, rest)
    elif isinstance(node, dict) and head in node:
        yield from _spanning(node[head], rest)


def _copy_path(node: Any, path: list[str]) -> Any:
    """Copy the containers along ``path`` (shallowly): edits at its ends leave ``node`` alone."""
    if isinstance(node, dict):
        out = dict(node)
        if path and path[0] == "*":
            for k in out:
                out[k] = _copy_path(out[k], path[1:])
        elif path and path[0] in out:
            out[path[0]] = _copy_path(out[path[0]], path[1:])
        return out
    if isinstance(node, list) and path and path[0] == "*":
        return [_copy_path(v, path[1:]) for v in node]
    return node


def _copied(doc: dict[str, Any], kind: str) -> dict[str, Any]:
    for spec in specs(kind):
        doc = _copy_path(doc, spec.path)
    return doc


def _each(
    doc: dict[str, Any], kind: str, student_id: str | None
) -> Iterator[tuple[Personal, dict[str, Any], str]]:
    for spec in specs(kind):
        for target in _targets(doc, spec.path):
            owner = target.get(spec.owner) if spec.owner else student_id
            if isinstance(owner, str):
                yield spec, target, owner


def owners(doc: dict[str, Any], kind: str, student_id: str | None = None) -> set[str]:
    """Return the students whose keys sealing or opening ``doc`` needs."""
    return {owner for _, _, owner in _each(doc, kind, student_id)}


def seal_with(
    doc: dict[str, Any],
    kind: str,
    keys: Mapping[str, DataKey | None],
    student_id: str | None = None,
) -> dict[str, Any]:
    """Return a copy of ``doc`` with its personal fields sealed (pure; keys given).

    ``keys`` maps each owner to their key, or to None when it was shredded: then the
    fields are dropped. A dict that is sealed already is left alone (idempotent).
    """
    out = _copied(doc, kind)
    seal_in_place(out, kind, keys, student_id)
    return out


def seal_in_place(
    doc: dict[str, Any],
    kind: str,
    keys: Mapping[str, DataKey | None],
    student_id: str | None = None,
) -> bool:
    """``seal_with`` on ``doc`` itself (one nobody else holds); whether anything changed."""
    changed = False
    for spec, target, owner in _each(doc, kind, student_id):
        if target.get(SEALED) is not None:
            continue
        present = {f: target.pop(f) for f in spec.fields if f in target}
        key = keys[owner]
        if present and key is not None:
            target[SEALED] = seal(key, present)
        changed = changed or bool(present)
    return changed


def unseal_with(
    doc: dict[str, Any],
    kind: str,
    keys: Mapping[str, DataKey | None],
    student_id: str | None = None,
) -> dict[str, Any]:
    """Return a copy of ``doc`` with its tokens opened; unopenable tokens stay in place."""
    out = _copied(doc, kind)
    for _, target, owner in _each(out, kind, student_id):
        key = keys.get(owner)
        token = target.get(SEALED)
        if not isinstance(token, str) or key is None:
            continue
        opened = open_sealed({key.key_id: key}, token)
        if opened is not None:
            del target[SEALED]
            target.update(opened)
    return out


async def seal_personal(
    doc: dict[str, Any],
    keystore: KeyStore,
    *,
    kind: str | None = None,
    student_id: str | None = None,
) -> dict[str, Any]:
    """Seal ``doc``'s personal fields (``kind``: its event type, else pass the view name)."""
    kind = kind or doc.get("event_type", "")
    return seal_with(
        doc, kind, await write_keys(keystore, owners(doc, kind, student_id)), student_id
    )


async def unseal(
    doc: dict[str, Any],
    keystore: KeyStore,
    *,
    kind: str | None = None,
    student_id: str | None = None,
) -> dict[str, Any]:
    """Open ``doc``'s tokens with the keys that still exist (read path: no key is made)."""
    kind = kind or doc.get("event_type", "")
    keys = await keys_for(keystore, owners(doc, kind, student_id))
    return unseal_with(doc, kind, keys, student_id)


async def unseal_many(
    docs: list[dict[str, Any]], keystore: KeyStore, *, kind: str
) -> list[dict[str, Any]]:
    """Open many documents of one view, fetching all their keys at once."""
    needed = set().union(*(owners(d, kind) for d in docs)) if docs else set()
    keys = await keys_for(keystore, needed)
    return [unseal_with(d, kind, keys) for d in docs]


async def seal_by_student(entries: Mapping[str, Any], keystore: KeyStore) -> dict[str, str]:
    """Seal each value of a mapping student id → data under that student's key.

    A shredded student's entry is dropped.
    """
    keys = await write_keys(keystore, set(entries))
    return {s: seal(k, v) for s, v in entries.items() if (k := keys[s]) is not None}


async def unseal_by_student(entries: Mapping[str, str], keystore: KeyStore) -> dict[str, Any]:
    """Open a mapping sealed by ``seal_by_student``; shredded students are left out."""
    out: dict[str, Any] = {}
    keys = await keys_for(keystore, entries)
    for s, token in entries.items():
        key = keys[s]
        if key is not None and (value := open_sealed({key.key_id: key}, token)) is not None:
            out[s] = value
    return out


def student_named(value: str | bytes) -> str | None:
    """The student an event (as JSON) is about, if its data names one."""
    try:
        event = json.loads(value)
    except ValueError:
        return None
    data = event.get("data") if isinstance(event, dict) else None
    student = data.get("student_id") if isinstance(data, dict) else None
    return student if isinstance(student, str) else None
