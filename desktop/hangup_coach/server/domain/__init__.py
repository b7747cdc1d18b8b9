"""The centre's rules about shared records. framework.py: server-owned domain tables and their
commands; records.py: the cards' own pushed records; cases.py: the complaint system's case facts;
qa.py: QA batches and actions; reports.py: several teams' figures.

KINDS lists the framework's domain kinds the API serves (framework.DomainKind); a domain module
adds its own. Every domain module is imported here, so its tables are on the schema's metadata.
"""

from . import qa  # noqa: F401  (its own endpoints: api/qa.py)
from . import reports  # noqa: F401  (report.read; its endpoint: api/reports.py)
from .framework import DomainKind

KINDS: list[DomainKind] = []
