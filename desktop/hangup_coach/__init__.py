"""Hangup Coach: puts the call centre's hang-up policy on the agent's screen."""

__version__ = "0.1.0"
