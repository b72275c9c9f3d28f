"""Waiting in a test for a flow that runs in another thread."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def wait_until(
    cond: Callable[[], bool], what: str, box: dict[str, Any], timeout: float = 300
) -> None:
    """Poll ``cond`` until it holds; fail at once with the thread's error once ``box`` holds one
    (under ``"error"``), or after ``timeout`` seconds naming ``what`` was awaited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if "error" in box:
            raise AssertionError(f"the flow failed while waiting for {what}") from box["error"]
        if cond():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")
