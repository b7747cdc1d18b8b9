"""The centre's rules about shared records. framework.py: server-owned domain tables and their
commands; records.py: the cards' own pushed records; cases.py: the complaint system's case facts.

KINDS lists the domain kinds the API serves (framework.DomainKind); a domain module adds its own.
"""

from .framework import DomainKind

KINDS: list[DomainKind] = []
