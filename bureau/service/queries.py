"""Queries: answered from the projections and tables, never through the event path."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from bureau.adapters.store import Store
from bureau.domain.eligibility import DEFAULT_RULES, Rules
from bureau.domain.matching import Suggestion
from bureau.domain.statistics import OfferFacts, PlacementFacts, Row, StudentFacts, compute
from bureau.service.documents import Kind, View
from bureau.service.tables import Tables


@dataclass(kw_only=True)
class Queries:
    """The company's shortlist and the statistics; they publish nothing."""

    store: Store
    tables: Tables
    top_k: int = 20
    rules: Rules = DEFAULT_RULES

    def shortlist(self, offer_id: str) -> list[Suggestion]:
        """The company's shortlist for an offer: its best candidates now, with reasons.

        Computed when asked from the tables, so it never depends on the order in which
        students and offers arrived (and a replay has nothing to redo).
        """
        offer = self.tables.offers.get(offer_id)
        if offer is None:
            return []
        return self.tables.index.students_for_offer(offer, self.top_k)

    async def refresh_statistics(self) -> list[Row]:
        """Recompute the statistics view from the projections and return its rows."""
        offers = [
            OfferFacts(
                offer_id=d["_id"],
                region=d["region"],
                themes=frozenset(d["themes"]),
                levels=frozenset(d["levels"]),
                capacity=d["places"],
                filled=d["filled"],
            )
            for d in await self.store.find(Kind.OFFERS, {"withdrawn": False})
        ]
        students = [
            StudentFacts(
                student_id=d["_id"],
                school_id=d["school_id"],
                level=d["level"],
                levels_seen=frozenset(d["levels_seen"]),
                gender=d.get("gender"),
            )
            for d in await self.store.find(Kind.STUDENTS, {"erased": False})
        ]
        placements = [
            PlacementFacts(
                student_id=d["student_id"],
                offer_id=d["offer_id"],
                submitted_at=datetime.fromisoformat(d["submitted_at"]),
                decided_at=datetime.fromisoformat(d["decided_at"]),
            )
            for d in await self.store.find(View.PLACEMENTS, {})
            if d["status"] in ("confirmed", "completed")
        ]
        rows = compute(offers, students, placements)
        for row in rows:
            await self.store.put_view(View.STATISTICS, f"{row.dimension}:{row.value}", asdict(row))
        return rows
