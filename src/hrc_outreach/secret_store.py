"""Reading a Prefect Secret block: the one place in the library that talks to Prefect for secrets."""

from __future__ import annotations

import os


def prefect_secret(block_name: str) -> str | None:
    """The value of the Prefect Secret block ``block_name``, or None.

    Only asked when a Prefect API is configured (``PREFECT_API_URL``): without one, Prefect would start
    a temporary server just to answer "no such block".
    """
    if not os.environ.get("PREFECT_API_URL"):
        return None
    # Imported here (Prefect takes seconds to import) but outside the try: a broken install must
    # fail loudly, not read as "no secret".
    from prefect.blocks.system import Secret

    try:
        block = Secret.load(block_name, _sync=True)  # type: ignore[call-arg]
    except Exception:  # noqa: BLE001 - a missing block or an unreachable server means "no secret"
        return None
    value = block.get()  # type: ignore[union-attr]
    return str(value) if value is not None else None
