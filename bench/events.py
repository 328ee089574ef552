"""Wire events for benchmarks, made from the synthetic students and offers of ``matching``."""

from __future__ import annotations

import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.matching import SEED, make_offers, make_students
from bureau.domain.matching import Offer, Student

T0 = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)


def envelope(event_type: str, source: str, data: dict[str, Any], n: int = 0) -> dict[str, Any]:
    """Wrap ``data`` as a partner would."""
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": event_type,
        "occurred_at": (T0 + timedelta(milliseconds=n)).isoformat(),
        "source": source,
        "schema_version": 1,
        "data": data,
    }


def registered(s: Student, n: int = 0) -> dict[str, Any]:
    """A StudentRegistered for ``s``."""
    data: dict[str, Any] = {
        "student_id": s.student_id,
        "school_id": s.school_id,
        "level": s.level.value,
        "programme": "ICT",
        "skills": sorted(s.skills),
        "themes": sorted(s.themes),
        "region": s.region,
        "age_band": "18+",
        "consent": s.consent,
    }
    if s.available is not None:
        data["available"] = s.available.model_dump(mode="json")
    return envelope("StudentRegistered", s.school_id, data, n)


def offered(o: Offer, n: int = 0) -> dict[str, Any]:
    """An InternshipOffered for ``o``."""
    data: dict[str, Any] = {
        "offer_id": o.offer_id,
        "company_id": o.company_id,
        "title": o.title,
        "levels": sorted(v.value for v in o.levels),
        "skills": sorted(o.skills),
        "themes": sorted(o.themes),
        "region": o.region,
        "capacity": o.capacity,
        "mode": "remote" if o.remote else "on-site",
    }
    if o.period is not None:
        data["period"] = o.period.model_dump(mode="json")
    return envelope("InternshipOffered", o.company_id, data, n)


def students(n: int, prefix: str = "s") -> list[dict[str, Any]]:
    """``n`` StudentRegistered events with distinct ids."""
    found = make_students(n, random.Random(SEED + n))
    return [
        registered(Student(**{**s.__dict__, "student_id": f"{prefix}-{i:06d}"}), i)
        for i, s in enumerate(found)
    ]


def offers(n: int, prefix: str = "o") -> list[dict[str, Any]]:
    """``n`` InternshipOffered events with distinct ids."""
    found = make_offers(n, random.Random(SEED + 7 * n))
    return [
        offered(Offer(**{**o.__dict__, "offer_id": f"{prefix}-{i:06d}"}), i)
        for i, o in enumerate(found)
    ]


def encode(events: list[dict[str, Any]], key: str) -> list[tuple[bytes, bytes]]:
    """Records keyed by each event's ``data[key]``."""
    return [(e["data"][key].encode(), json.dumps(e).encode()) for e in events]
