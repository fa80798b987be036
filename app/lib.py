"""The app's logic: small, pure and tested on the host and in the builder image."""

import os


def greeting(name: str) -> str:
    """Greets `name`; an empty name greets the world."""
    who = name.strip() or "world"
    return f"Hello, {who}!"


def describe_process() -> str:
    """Who the app runs as: the runner image runs it as uid 10001."""
    return f"uid={os.getuid()} gid={os.getgid()}"
