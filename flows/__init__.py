"""Prefect entry points over the hrc_outreach library (see ARCHITECTURE.md)."""

import logging

# PREFECT_LOGGING_EXTRA_LOGGERS=hrc_outreach gives the library's logger Prefect's handlers but no
# level, so it would inherit the root's WARNING: the library's INFO lines belong in the run's logs.
if logging.getLogger("hrc_outreach").level == logging.NOTSET:
    logging.getLogger("hrc_outreach").setLevel(logging.INFO)
