"""Hangup Coach: puts the call centre's hang-up policy on the agent's screen."""


def __getattr__(name: str) -> str:
    # The version lives in pyproject.toml alone; read from the installed metadata (a frozen
    # bundle carries it too) only when asked, so start-up does not pay for importlib.metadata.
    if name == "__version__":
        from importlib.metadata import version

        return version("hangup-coach")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
