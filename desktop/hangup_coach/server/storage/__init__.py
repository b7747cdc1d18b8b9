"""The server's database: tables (schema), connections and the write transaction (engine), the
append-only audit (audit), change stamps and cursors (changes), and the queries behind the API
(store)."""

from . import archive, leases  # noqa: F401  (their tables join the metadata)
from .engine import engine_for, iso, utc_now
from .store import AuthError, Device, SchemaTooNew, Storage

__all__ = ["AuthError", "Device", "SchemaTooNew", "Storage", "engine_for", "iso", "utc_now"]
