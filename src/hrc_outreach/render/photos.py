"""Items' photos for their image cards: fetched through the sources' bounded reader
(:class:`~hrc_outreach.sources.fetch.HttpReader`: one deadline, ``fetch.max_response_bytes``,
retries) or read from a local file the caller names, then decoded within bounds of their own
(formats PNG, JPEG, GIF, WebP; at most :data:`MAX_PIXELS` declared pixels, checked before
decoding; reduced to :data:`MAX_SIDE`). A photo that cannot be used is a reason, never an
exception: its card is drawn without it.

>>> load_photo(b"<html>not an image</html>", "https://example.org/p.jpg")
Traceback (most recent call last):
...
hrc_outreach.render.photos.PhotoError: https://example.org/p.jpg is not a PNG, JPEG, GIF or WebP image
"""

from __future__ import annotations

import asyncio
import logging
import time
import warnings
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from io import BytesIO
from pathlib import Path

import httpx
from PIL import Image, ImageOps, UnidentifiedImageError

from hrc_outreach.config import Settings
from hrc_outreach.errors import RenderError, SourceError
from hrc_outreach.sources.fetch import Deadline, HttpReader

log = logging.getLogger(__name__)

FORMATS = ("PNG", "JPEG", "GIF", "WEBP")
MAX_PIXELS = 40_000_000  # declared width × height; a larger photo is refused before decoding
MAX_SIDE = 1600  # a card is at most 1200 px wide: more is memory for nothing
DRAFT_SIDE = 1200  # a JPEG is decoded at 1/2, 1/4, 1/8 scale while both sides stay above this
PHOTO_RETRIES = 1  # a photo is decoration: one retry, not the sources' patience
PHOTO_DEADLINE_SECONDS = 30.0  # at most, for all the photos of one draft language together
REMEMBER_SECONDS = 600.0  # an edition drafted in every language fetches each photo once
_recent: dict[str, tuple[float, Image.Image | str]] = {}


class PhotoError(RenderError):
    """A photo that cannot be put on a card, and why."""


def load_photo(data: bytes, where: str) -> Image.Image:
    """``data`` decoded as an RGB photo no larger than :data:`MAX_SIDE`; PhotoError if it is not an
    image of the allowed formats, declares more than :data:`MAX_PIXELS` pixels, or is damaged."""
    try:
        with warnings.catch_warnings():
            # Pillow only warns below twice its own limit: a bomb is refused here, not decoded
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(BytesIO(data), formats=FORMATS)
        with img:
            w, h = img.size
            if w * h > MAX_PIXELS:
                raise PhotoError(
                    f"{where} is {w}×{h} pixels, over the {MAX_PIXELS:,} a card photo may have"
                )
            img.draft("RGB", (DRAFT_SIDE, DRAFT_SIDE))  # JPEG: decode at a reduced scale
            photo = ImageOps.exif_transpose(img.convert("RGB"))
            photo.thumbnail((MAX_SIDE, MAX_SIDE))
            return photo
    except PhotoError:
        raise
    except UnidentifiedImageError:
        raise PhotoError(f"{where} is not a PNG, JPEG, GIF or WebP image") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise PhotoError(f"{where} declares too many pixels ({exc})") from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise PhotoError(f"{where} is a damaged image ({exc})") from exc


def read_local_photo(path: Path, settings: Settings) -> Image.Image:
    """A photo from a local file the caller named (never a path taken from gathered text)."""
    limit = settings.fetch.max_response_bytes
    try:
        size = path.stat().st_size
        if size > limit:
            raise PhotoError(f"{path} is {size} bytes, over [fetch] max_response_bytes ({limit})")
        return load_photo(path.read_bytes(), str(path))
    except OSError as exc:
        raise PhotoError(f"cannot read {path}: {exc.strerror or exc}") from exc


def _remembered_local(path: Path, settings: Settings) -> Image.Image:
    """:func:`read_local_photo`, decoded once while the file is unchanged (every draft language)."""
    try:
        st = path.stat()
    except OSError as exc:
        raise PhotoError(f"cannot read {path}: {exc.strerror or exc}") from exc
    key = f"file:{path.resolve()}:{st.st_mtime_ns}:{st.st_size}"
    now = time.monotonic()
    known = _recent.get(key)
    if known is None or now - known[0] > REMEMBER_SECONDS:
        try:
            known = (now, read_local_photo(path, settings))
        except PhotoError as exc:
            known = (now, str(exc))
        _recent[key] = known
    if isinstance(known[1], str):
        raise PhotoError(known[1])
    return known[1]


async def _fetch_all(urls: list[str], settings: Settings) -> dict[str, Image.Image | str]:
    out: dict[str, Image.Image | str] = {}
    fetch = settings.fetch.model_copy(
        update={"retries": min(settings.fetch.retries, PHOTO_RETRIES)}
    )
    settings = settings.model_copy(update={"fetch": fetch})
    seconds = min(settings.fetch.source_deadline_seconds, PHOTO_DEADLINE_SECONDS)
    async with httpx.AsyncClient() as client:
        deadline = Deadline.after(seconds, "source_deadline_seconds")
        reader = HttpReader(client, settings, source="card photos", deadline=deadline)

        async def one(url: str) -> None:
            try:
                doc = await reader.get(url)
                out[url] = load_photo(doc.content, url)
            except (SourceError, PhotoError) as exc:
                out[url] = str(exc)

        await asyncio.gather(*(one(u) for u in urls))
    return out


def fetch_photos(urls: Iterable[str], settings: Settings) -> dict[str, Image.Image | str]:
    """Every URL's photo, or the reason it cannot be used; all fetched at once, with one retry,
    within :data:`PHOTO_DEADLINE_SECONDS` in total (or ``fetch.source_deadline_seconds`` if
    shorter); what was fetched in the last :data:`REMEMBER_SECONDS` is not fetched again (the
    other languages of a draft). Callable from inside an event loop too."""
    now = time.monotonic()
    for url, (when, _) in list(_recent.items()):
        if now - when > REMEMBER_SECONDS:
            del _recent[url]
    wanted = sorted(set(urls) - set(_recent))
    if wanted:
        with ThreadPoolExecutor(max_workers=1) as pool:  # its own loop, whoever calls
            fetched = pool.submit(asyncio.run, _fetch_all(wanted, settings)).result()
        _recent.update((url, (now, got)) for url, got in fetched.items())
    return {url: _recent[url][1] for url in set(urls) if url in _recent}


def photos_for(
    urls: Mapping[str, str], local: Mapping[str, Path], settings: Settings
) -> dict[str, Image.Image]:
    """The photos by key (an item id) from ``local`` files or else fetched ``urls``; a photo that
    cannot be used is logged as a warning naming the key, the place and why, and left out (its
    card is drawn without a photo)."""
    out: dict[str, Image.Image] = {}
    failed: dict[str, str] = {}
    for key, path in local.items():
        try:
            out[key] = _remembered_local(path, settings)
        except PhotoError as exc:
            failed[key] = str(exc)
    remote = {k: u for k, u in urls.items() if k not in local}
    fetched = fetch_photos(remote.values(), settings)
    for key, url in remote.items():
        got = fetched.get(url, "not fetched")
        if isinstance(got, str):
            failed[key] = got
        else:
            out[key] = got
    for key, why in sorted(failed.items()):
        log.warning("item %s: its card is drawn without a photo: %s", key, why)
    return out
