"""The replay's canonical form, hashes and progress line."""

import io
import uuid
from datetime import UTC, datetime

from bureau.replay import Progress, canonical, digest, first_differences


def test_canonical_json_ignores_key_order_and_spells_out_ids_and_dates() -> None:
    when = datetime(2026, 9, 1, 9, tzinfo=UTC)
    ident = uuid.UUID(int=1)
    assert canonical({"b": 1, "a": [ident, when]}) == canonical({"a": [ident, when], "b": 1})
    assert canonical({"a": [ident, when]}) == (
        '{"a":["00000000-0000-0000-0000-000000000001","2026-09-01T09:00:00+00:00"]}'
    )


def test_a_collection_hash_does_not_depend_on_document_order_but_on_list_order() -> None:
    one, two = canonical({"_id": 1, "applied": ["e1", "e2"]}), canonical({"_id": 2})
    assert digest({"1": one, "2": two}) == digest({"2": two, "1": one})
    swapped = canonical({"_id": 1, "applied": ["e2", "e1"]})
    assert digest({"1": one, "2": two}) != digest({"1": swapped, "2": two})


def test_the_first_difference_names_the_document_and_both_versions() -> None:
    live = {"offers": {"a": "A", "b": "B"}, "students": {"s": "S"}}
    rebuilt = {"offers": {"a": "A", "b": "b"}, "students": {"s": "S"}, "extra": {"x": "X"}}
    assert first_differences(rebuilt, live) == {
        "extra": ("x", "X", "-"),
        "offers": ("b", "b", "B"),
    }


def test_progress_off_a_terminal_prints_a_line_per_tenth() -> None:
    out = io.StringIO()
    bar = Progress(200, stream=out)
    for done in range(0, 201, 5):
        bar.update(done)
    bar.close()
    lines = out.getvalue().splitlines()
    assert len(lines) == 11
    assert lines[-1].startswith("replay [##############################] 200/200 100%")
