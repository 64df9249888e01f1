"""Persisted models. Importing this package registers every table on ``Base.metadata``."""

from lti_tool.db import Base
from lti_tool.models import competencies as competencies  # registers the engine's tables
from lti_tool.models import export as export  # registers the LRS export tables
from lti_tool.models.cache import CacheEntry
from lti_tool.models.identity import Person, PersonIdentifier
from lti_tool.models.lrs import (
    ActivityIri,
    AgentKey,
    Attachment,
    Document,
    OutboxEntry,
    Source,
    Statement,
    StatementActivity,
    StatementAgent,
    StatementReference,
)
from lti_tool.models.lti import LtiDeployment, LtiPlatform, LtiSigningKey  # noqa: F401

__all__ = [
    "ActivityIri",
    "AgentKey",
    "Attachment",
    "Base",
    "CacheEntry",
    "Document",
    "OutboxEntry",
    "Person",
    "PersonIdentifier",
    "Source",
    "Statement",
    "StatementActivity",
    "StatementAgent",
    "StatementReference",
]
