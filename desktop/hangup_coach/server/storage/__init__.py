"""The server's database: tables (schema), connections and the write transaction (engine), and
the queries behind the API (store)."""

from .engine import engine_for, iso, utc_now
from .schema import MIGRATIONS, SCHEMA_VERSION
from .store import AuthError, Device, SchemaTooNew, Storage

__all__ = ["AuthError", "Device", "MIGRATIONS", "SCHEMA_VERSION", "SchemaTooNew", "Storage", "engine_for", "iso",
           "utc_now"]
