"""The committed contract (docs/asyncapi.json, docs/events.md) matches the code."""

from pathlib import Path

import pytest
from pydantic import TypeAdapter

from bureau.asyncapi import render, render_markdown
from bureau.schemas.catalog import CATALOG
from bureau.schemas.examples import EXAMPLES

DOCS = Path(__file__).resolve().parents[2] / "docs"
MODELS = {m.__name__: m for c in CATALOG for m in c.payloads}


def test_the_committed_asyncapi_document_matches_the_code() -> None:
    assert (DOCS / "asyncapi.json").read_text() == render(), "run `bureau asyncapi`"
    assert (DOCS / "events.md").read_text() == render_markdown(), "run `bureau asyncapi`"


def test_every_event_in_the_catalog_has_exactly_one_example() -> None:
    assert set(EXAMPLES) == set(MODELS)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_example_is_a_valid_event(name: str) -> None:
    event = TypeAdapter(MODELS[name]).validate_python(EXAMPLES[name])
    assert getattr(event, "event_type", name) == name  # the statistics row has none
