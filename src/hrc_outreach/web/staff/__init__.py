"""The staff area (``/staff/...``): sign-in, dashboard, edition previews, translation review,
approval, delivery reports, subscribers and staff accounts (admins).

Every route but the sign-in page needs a session (a page redirects to the sign-in, a form answers
401), the role the route names (403 otherwise) and, for a form, the session's CSRF token (403).
"""

from __future__ import annotations

# each module adds its routes to the one router (FastAPI includes sub-routers lazily, which
# would hide them from a walk over ``router.routes``)
from hrc_outreach.web.staff import (  # noqa: F401
    auth,
    campaigns,
    dashboard,
    delivery,
    editions,
    review,
    subscribers,
)
from hrc_outreach.web.staff.common import staff_router as router

__all__ = ["router"]
