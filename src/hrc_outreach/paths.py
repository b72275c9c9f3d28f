"""Where the project's bundled files are: templates, samples, subscribers."""

from __future__ import annotations

from pathlib import Path

# src/hrc_outreach/paths.py -> the project root (an editable install, as `make` sets up)
PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
TEMPLATES_DIR = PROJECT_ROOT / "templates"
SAMPLES_DIR = PROJECT_ROOT / "samples"
SUBSCRIBERS_DIR = PROJECT_ROOT / "subscribers"
