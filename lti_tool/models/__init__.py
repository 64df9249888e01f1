"""Persisted models. Importing this package registers every table on ``Base.metadata``."""

from lti_tool.db import Base
from lti_tool.models.cache import CacheEntry

__all__ = ["Base", "CacheEntry"]
