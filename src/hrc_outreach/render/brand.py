"""The network's logo: shipped with the project (``templates/brand/``), published beside the
archive (``archive/logo.png`` and ``archive/logo.svg`` of the published files) and shown by the
email from there, at an absolute https URL (email clients show PNG, not SVG).

>>> logo_url(Settings())
'https://outreach.humanrightscities.net/archive/logo.png'
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from hrc_outreach.config import Settings
from hrc_outreach.paths import TEMPLATES_DIR
from hrc_outreach.storage import PublishedFiles

BRAND_DIR = TEMPLATES_DIR / "brand"
LOGO_FILES = ("logo.png", "logo.svg")  # the PNG is what the email shows
PUBLISHED_DIR = "archive"  # served under <web.base_url>/archive/ (web.public.mount_archive)
LOGO_WIDTH = 200  # px as shown in the email; the PNG has 4x the pixels (sharp on 2x screens)

# What an image URL's path ends with, for images outside the published files (SVG is not among
# them: most email clients do not show it).
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp"})

# The first bytes of the image formats every email client shows.
_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a")


def archive_base(settings: Settings) -> str:
    """The public URL of the published archive, with its trailing slash."""
    return f"{settings.web.base_url.rstrip('/')}/{PUBLISHED_DIR}/"


def logo_url(settings: Settings) -> str:
    """The email's logo: ``newsletter.logo_url`` when set, else the shipped logo as published."""
    return settings.newsletter.logo_url.strip() or archive_base(settings) + LOGO_FILES[0]


def is_image(data: bytes) -> bool:
    """True when ``data`` starts like a PNG, JPEG or GIF (what every email client shows)."""
    return data.startswith(_SIGNATURES)


def looks_like_image_url(url: str) -> bool:
    """An absolute https URL whose path names a PNG, JPEG, GIF or WebP file.

    >>> looks_like_image_url("https://example.org/a/photo.JPG?w=600")
    True
    >>> looks_like_image_url("https://example.org/gallery/42"), looks_like_image_url("http://e.org/a.png")
    (False, False)
    """
    parts = urlsplit(url.strip())
    suffix = PurePosixPath(unquote(parts.path)).suffix.lower()
    return parts.scheme == "https" and bool(parts.netloc) and suffix in IMAGE_SUFFIXES


def publish_brand(files: PublishedFiles, brand_dir: Path = BRAND_DIR) -> list[str]:
    """Put the shipped logo files into the published archive (only those missing or changed);
    returns where they were written."""
    written = []
    for name in LOGO_FILES:
        data = (brand_dir / name).read_bytes()
        path = f"{PUBLISHED_DIR}/{name}"
        if files.exists(path) and files.read_bytes(path) == data:
            continue
        written.append(files.write_bytes(path, data))
    return written
