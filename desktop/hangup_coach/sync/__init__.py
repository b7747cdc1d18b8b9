"""Sync with the centre's server: the client, the background worker, the device's credentials."""
