"""Source adapters: one module per kind, behind the protocol in base.py."""
