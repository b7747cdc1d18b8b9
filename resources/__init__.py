"""Data files shipped with Hangup Coach (policy, scripts, demo shift, icons)."""
