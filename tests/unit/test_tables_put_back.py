"""A row our own record changed is put back if its batch fails, unless it was read back."""

from __future__ import annotations

import json

import pytest

from bureau.service.tables import Tables
from bureau.topics import Table

AT = "2026-09-01T09:00:00+00:00"


def _record(version: int, school: str) -> str:
    profile = {
        "student_id": "s-1",
        "school_id": school,
        "level": "mbo-4",
        "programme": "ICT",
        "skills": ["linux"],
        "region": "1012",
        "age_band": "18+",
        "consent": True,
    }
    return json.dumps({"kind": Table.STUDENTS, "v": version, "at": AT, "profile": profile})


@pytest.mark.parametrize("read_back", [True, False], ids=["read-back-stays", "control-put-back"])
def test_our_own_row_read_back_from_the_changelog_is_never_put_back(read_back: bool) -> None:
    tables = Tables()
    tables.apply(Table.STUDENTS, "s-1", _record(1, "roc-a"))
    saved = tables.saved(Table.STUDENTS, "s-1")
    assert tables.apply(Table.STUDENTS, "s-1", _record(2, "roc-b"), own=True)
    if read_back:  # committed and published: the follower reads the same version
        assert not tables.apply(Table.STUDENTS, "s-1", _record(2, "roc-b"))
    tables.put_back(saved, 2)
    school = tables.students["s-1"].school_id
    assert school == ("roc-b" if read_back else "roc-a")
    assert tables.rows[(Table.STUDENTS, "s-1")].version == (2 if read_back else 1)
