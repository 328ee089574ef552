"""Application services: an event in, one aggregate write, then views and records out.

Rooms per aggregate (``offers``, ``students``, ``organisations``, ``collaboration``,
``rounds``) share one ``pipeline``; ``bus.Exchange`` routes each event type to its room;
``queries`` answers the shortlist and statistics; ``tables`` is the in-memory state
that matching reads.
"""

from bureau.service.bus import Exchange
from bureau.service.documents import StudentRecord, offer_for_matching, student_for_matching
from bureau.service.pipeline import Position, PresumedAbsentError, Publish, RejectedEventError
from bureau.service.tables import Tables

__all__ = [
    "Exchange",
    "Position",
    "PresumedAbsentError",
    "Publish",
    "RejectedEventError",
    "StudentRecord",
    "Tables",
    "offer_for_matching",
    "student_for_matching",
]
