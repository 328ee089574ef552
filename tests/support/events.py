"""The partner-event builders, where the tests have always imported them from."""

from bureau.partners import *  # noqa: F403
from bureau.partners import __all__ as __all__
