"""The worker application for ``faststream run bureau.main:app``."""

from bureau.app import create_app
from bureau.logging import configure_logging
from bureau.settings import Settings

settings = Settings()
configure_logging(settings)
app = create_app(settings)

__all__ = ["app"]
