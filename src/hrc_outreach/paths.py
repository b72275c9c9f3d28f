"""Where the project's bundled files are: templates (and their catalogs), samples, subscribers.

An installed wheel carries them in ``hrc_outreach/_bundled/`` (see setup.py); a checkout (an
editable install, as ``make`` sets up) has them at the project root. The installed copy wins.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

# src/hrc_outreach/paths.py -> the project root of a checkout
PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
BUNDLED_DIR = Path(str(files("hrc_outreach"))) / "_bundled"


def bundled(name: str) -> Path:
    """The bundled folder or file ``name``: in the installed package, else in the checkout."""
    inside = BUNDLED_DIR / name
    return inside if inside.exists() else PROJECT_ROOT / name


TEMPLATES_DIR = bundled("templates")
SAMPLES_DIR = bundled("samples")
SUBSCRIBERS_DIR = bundled("subscribers")
EXAMPLE_CONFIG = bundled("outreach.toml")
