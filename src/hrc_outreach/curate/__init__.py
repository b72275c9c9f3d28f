"""Curation: which stored items go into which edition (new since the last edition, event windows,
caps, pins)."""

from hrc_outreach.curate.edition import curate_edition, edition_title
from hrc_outreach.curate.featured import record_draft, record_sent
from hrc_outreach.curate.keys import default_edition_key, edition_date, issue_number

__all__ = [
    "curate_edition", "default_edition_key", "edition_date", "edition_title", "issue_number",
    "record_draft", "record_sent",
]
