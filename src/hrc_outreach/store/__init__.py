"""The store: items and their history, editions, translations, subscribers and the send ledger."""

from hrc_outreach.store.db import Store, make_engine, migrate, open_store

__all__ = ["Store", "make_engine", "migrate", "open_store"]
