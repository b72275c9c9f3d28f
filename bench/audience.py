"""Audience figures: import 100,000 CSV rows, re-import them, snapshot, per-recipient links.

Usage: python bench/audience.py [N] [--url DATABASE_URL]   (default: a fresh SQLite file)
PostgreSQL: pass --url postgresql://.../a_scratch_db (its public schema is dropped first).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import tempfile
import time
from pathlib import Path

from hrc_outreach.audience.importer import import_csv
from hrc_outreach.audience.links import recipient_params
from hrc_outreach.audience.snapshot import audience_snapshot
from hrc_outreach.config import DEFAULT_LANGUAGES, Settings, StoreSettings
from hrc_outreach.store import open_store

TAGS = ["city", "ngo", "researcher", "dare", "eu", "press"]


def write_csv(path: Path, n: int) -> None:
    rnd = random.Random(7)
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("\ufeffE-mail;Name;Language;Tags;Consent date\r\n")
        for i in range(n):
            lang = DEFAULT_LANGUAGES[i % len(DEFAULT_LANGUAGES)]
            consent = "2025-01-15" if i % 10 else ""  # one in ten pending
            tags = ",".join(rnd.sample(TAGS, 2))
            fh.write(f"Person.{i}@Example.org;Person {i};{lang};\"{tags}\";{consent}\r\n")


def reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    from hrc_outreach.store.db import _normalise_url

    engine = create_engine(_normalise_url(url))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def timed(label: str, fn):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    value = fn()
    print(f"{label:<44} {time.perf_counter() - start:7.2f} s")
    return value


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("n", nargs="?", type=int, default=100_000)
    parser.add_argument("--url")
    args = parser.parse_args()
    os.environ.setdefault("HRC_TOKEN_SECRET", "bench-secret-0123456789abcdef")
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{tmp}/bench.db"
        if url.startswith("postgres"):
            reset_postgres(url)
        settings = Settings(store=StoreSettings(url=url))
        store = open_store(settings)  # keys the address hash from the token secret
        csv_path = Path(tmp) / "list.csv"
        write_csv(csv_path, args.n)
        print(f"{args.n:,} rows on {store.dialect}")

        def do_import():  # type: ignore[no-untyped-def]
            with store.session() as s:
                return import_csv(s, settings, csv_path)

        first = timed("import (all new)", do_import)
        print("  ", {k: v for k, v in first.as_json().items() if k != "rejected"})
        again = timed("re-import (all unchanged)", do_import)
        print("  ", {k: v for k, v in again.as_json().items() if k != "rejected"})

        def do_snapshot():  # type: ignore[no-untyped-def]
            with store.session() as s:
                return audience_snapshot(s, languages=settings.i18n.languages)

        members = timed("audience snapshot (11 languages)", do_snapshot)
        print(f"   {len(members):,} members")
        timed(
            "recipient_params for every member",
            lambda: [
                recipient_params(
                    settings, subscriber_id=m.subscriber_id, email=m.email, name=m.name,
                    lang=m.language,
                )
                for m in members
            ],
        )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{'peak memory':<44} {peak:7.0f} MB")
        store.dispose()


if __name__ == "__main__":
    main()
