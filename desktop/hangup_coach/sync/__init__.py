"""Sync between the agents' cards and the centre's server (docs/sync-api.md)."""
