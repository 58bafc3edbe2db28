"""Keep a benchmark server from outliving the run that started it."""

from __future__ import annotations

import os
import threading
import time

__all__ = ["exit_with_parent"]


def exit_with_parent(max_seconds: float, *, poll_s: float = 0.5) -> None:
    """Exit the process when its parent goes away or after ``max_seconds``,
    whichever comes first; checked from a daemon thread every ``poll_s``."""
    parent = os.getppid()
    deadline = time.monotonic() + max_seconds

    def watch() -> None:
        while os.getppid() == parent and time.monotonic() < deadline:
            time.sleep(poll_s)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()
