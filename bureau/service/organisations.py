"""Organisations: companies, schools and public bodies, each registered by itself."""

from __future__ import annotations

from dataclasses import dataclass

from bureau.adapters.store import Document, Stored
from bureau.domain.decisions import Applied
from bureau.domain.roles import check_registration
from bureau.schemas.organisations import OrganisationEvent, OrganisationRegisteredData
from bureau.service.context import Context
from bureau.service.documents import Kind, state_of
from bureau.service.pipeline import Position
from bureau.topics import Table


@dataclass(kw_only=True)
class Organisations:
    """Keeps the organisation registry."""

    ctx: Context

    async def on_event(self, event: OrganisationEvent, at: Position | None = None) -> None:
        """Register or update an organisation."""
        data = event.data

        def follow(
            stored: Stored | None, decision: Applied[OrganisationRegisteredData]
        ) -> list[Document]:
            version = (stored.version if stored else 0) + 1
            body = {"org": data.model_dump(mode="json")}
            return [
                self.ctx.record(Table.ORGANISATIONS, data.organisation_id, version, event, body)
            ]

        result = await self.ctx.pipeline.run(
            Kind.ORGANISATIONS,
            data.organisation_id,
            event,
            lambda stored: (
                check_registration(state_of(OrganisationRegisteredData, stored), event)
                or Applied(data)
            ),
            topic=self.ctx.topics.organisations,
            at=at,
            fields=lambda d: {"kind": d.kind.value, "region": d.region},
            follow=follow,
        )
        self.ctx.absorb(result)
