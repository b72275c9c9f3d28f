"""An approved edition with social posts in English, Arabic, Ukrainian and Persian (emoji
included) and their image cards in the published files, for the social publishing tests."""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from PIL import Image

from hrc_outreach.config import Settings
from hrc_outreach.models import RenderedMessage, SocialPlatform, SocialPost
from hrc_outreach.store import Store
from hrc_outreach.store.tables import EditionRow
from tests.support.ledger_data import add_edition, approved, message, write_draft

KEY = "2026-12"
EDITION_DATE = "2026-11-03"  # the edition post at 10:00 Brussels that day, item posts a day after
LANGS = ("en", "ar", "uk", "fa")
PLATFORMS = ("mastodon", "bluesky", "facebook", "instagram", "linkedin")
RLM = "\u200f"
TITLES = {
    "en": ("The Human Rights Readers for December is out 📰", "Gwangju opens a 🏳️‍🌈 youth council"),
    "ar": (RLM + "صدر عدد ديسمبر من قرّاء حقوق الإنسان 📰", RLM + "غوانغجو تفتح مجلسًا للشباب 👩🏽‍⚖️"),
    "uk": (
        "Грудневий випуск «Читачів прав людини» вийшов 📰",
        "Ґванджу відкриває молодіжну раду 👩🏽‍⚖️",
    ),
    "fa": (
        RLM + "شمارهٔ دسامبر خوانندگان حقوق بشر منتشر شد 📰",
        RLM + "گوانگجو شورای جوانان می‌گشاید 👩🏽‍⚖️",
    ),
}


def settings_for(tmp_path: Path, **over: Any) -> Settings:
    return Settings.model_validate(
        {
            "out_dir": str(tmp_path / "out"),
            "store": {"url": f"sqlite:///{tmp_path / 'store.db'}"},
            "i18n": {"languages": list(LANGS), "source_language": "en"},
            "web": {"base_url": "https://outreach.example"},
            **over,
        }
    )


def card_png(width: int = 120, height: int = 63) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (11, 83, 148)).save(buf, format="PNG")
    return buf.getvalue()


def posts_for(lang: str) -> tuple[SocialPost, ...]:
    out = []
    for i, (subject, title) in enumerate(zip((None, "item-gwangju"), TITLES[lang], strict=True)):
        for platform in PLATFORMS:
            link = (
                f"https://outreach.example/archive/{lang}/{KEY}.html"
                if subject is None
                else "https://humanrightscities.net/gwangju"
            ) + f"?utm_source={platform}&utm_medium=social&utm_campaign={KEY}"
            link_line = "Link in bio." if platform == "instagram" else f"→ {link}"
            text = f"{title}\n\n{link_line}\n\n#HumanRights #حقوق_الإنسان"
            card = f"{KEY}-{lang}-{subject or 'edition'}-{'1080x1080' if platform == 'instagram' else '1200x630'}.png"
            out.append(
                SocialPost(
                    platform=SocialPlatform(platform),
                    lang=lang,
                    text=text,
                    link=link,
                    item_id=subject,
                    image=card,
                    image_alt=f"Image card: {title} ({i})",
                )
            )
    return tuple(out)


def approved_edition(
    store: Store, settings: Settings, langs: tuple[str, ...] = LANGS
) -> dict[str, RenderedMessage]:
    """Edition KEY drafted (with social posts) and approved; its cards in the published files."""
    add_edition(store, KEY)
    with store.session() as s:  # posts are due from the edition's date: make it a past one
        row = s.get(EditionRow, KEY)
        assert row is not None
        row.edition_date = EDITION_DATE
    msgs = {
        lang: message(KEY, lang).model_copy(update={"social": posts_for(lang)}) for lang in langs
    }
    write_draft(store, msgs)
    for lang, msg in msgs.items():
        folder = Path(settings.out_dir) / "editions" / KEY / lang
        folder.mkdir(parents=True, exist_ok=True)
        for p in msg.social:
            if p.image and not (folder / p.image).exists():
                (folder / p.image).write_bytes(card_png())
    return approved(store, KEY, msgs)


def cli_env(tmp_path: Path, platforms: Any, languages: Mapping[str, str]) -> dict[str, str]:
    """The environment of a ``hrc-outreach`` child process publishing to ``platforms`` (the local
    platform servers) from a store in ``tmp_path``; ``languages``: platform -> the languages its
    account posts in."""
    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if not k.startswith("HRC_")}
    env.update(platforms.env())
    env.update(
        {
            "HRC_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}",
            "HRC_OUT_DIR": str(tmp_path / "out"),
            "HRC_LANGUAGES": ",".join(LANGS),
            "HRC_BASE_URL": "https://outreach.example",
            "HRC_TOKEN_SECRET": "social-crash-test-secret-0123456789",
            "PYTHONPATH": str(root),
        }
    )
    env.update({f"HRC_{name.upper()}_LANGUAGES": langs for name, langs in languages.items()})
    return env
