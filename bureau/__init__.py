"""bureau: an event-driven exchange between schools and companies."""

__all__: list[str] = []
