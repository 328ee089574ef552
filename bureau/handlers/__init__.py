"""FastStream subscribers, their middleware and the dead-letter publisher."""

from bureau.handlers.dead_letter import dead_letter
from bureau.handlers.exchange import register

__all__ = ["dead_letter", "register"]
