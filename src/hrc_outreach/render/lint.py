"""The lint run on every rendered edition: errors block sending, warnings are shown to staff.

ERROR: html-size, img-alt, link-not-https, image-not-https, image-url (an image that is not a
published image: see :func:`_check_image_urls`), logo-url, html-lang, html-lang-mismatch, html-dir,
style-size, parts-links, parts-titles, parts-text, live-syntax (template syntax or placeholder-like
text still live in any part, or a per-recipient placeholder outside a link target). WARNING: img-alt-empty, generic-link-text,
heading-skip, css-support, css-parse-error. Item titles are taken to be the HTML's headings.

>>> [f.rule for f in lint_message('<html><body><p>Hi</p></body></html>', 'Hi', 'en')]
['html-lang']
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from hrc_outreach.config import Settings
from hrc_outreach.i18n.catalog import text_direction
from hrc_outreach.models import LintFinding, Severity
from hrc_outreach.render.brand import (
    PUBLISHED_DIR,
    archive_base,
    is_image,
    logo_url,
    looks_like_image_url,
)
from hrc_outreach.render.csscheck import check_css
from hrc_outreach.render.htmldoc import Node, parse_html
from hrc_outreach.render.inert import live_syntax
from hrc_outreach.storage import PublishedFiles, StorageError

HTML_SIZE_LIMIT = 100 * 1024  # Gmail clips at about 102 KB; keep a margin
TEXT_COVERAGE_MIN = 0.85  # share of the HTML's visible words the text part must hold
TITLE_COVERAGE_MIN = 0.8  # share of a heading's words that must appear in the text part
_PLACEHOLDER = re.compile(r"^\[\[[a-z_]+(\.[0-9a-f]+)?\]\]$")  # whether ours: see live-syntax
_WORD = re.compile(r"\w+", re.UNICODE)
_SPACE = re.compile(r"\s+")
# Arrows, chevrons and punctuation around link text ("Read more »") do not give context.
_DECOR = re.compile(r"[\s\W_]+", re.UNICODE)

# Link text that says nothing out of context, per language (normalised: case-folded, no punctuation).
GENERIC_LINK_TEXT: dict[str, frozenset[str]] = {
    lang: frozenset(_DECOR.sub(" ", w.casefold()).strip() for w in words.split("|"))
    for lang, words in {
        "en": "click here|here|read more|more|learn more|more info|more information|continue "
        "reading|see more|details|link|this link|click|go|find out more",
        "fr": "cliquez ici|cliquer ici|ici|lire la suite|lire plus|en savoir plus|plus|la suite|"
        "suite|voir plus|plus d'infos|plus d'informations|détails",
        "nl": "klik hier|hier|lees meer|meer|meer informatie|meer info|lees verder|verder lezen|"
        "meer lezen|bekijk meer",
        "de": "hier klicken|klicken sie hier|klick hier|hier|weiterlesen|mehr|mehr erfahren|"
        "mehr lesen|mehr dazu|mehr informationen|mehr infos|details",
        "es": "haga clic aquí|haz clic aquí|clic aquí|pulse aquí|aquí|leer más|más|más información|"
        "saber más|ver más|seguir leyendo|detalles",
        "it": "clicca qui|fai clic qui|qui|leggi di più|leggi tutto|leggi|di più|altro|"
        "scopri di più|continua a leggere|maggiori informazioni|dettagli",
        "pt": "clique aqui|carregue aqui|aqui|ler mais|leia mais|mais|saber mais|saiba mais|"
        "mais informações|ver mais|continuar a ler|detalhes",
        "pl": "kliknij tutaj|kliknij tu|kliknij|tutaj|tu|czytaj więcej|więcej|dowiedz się więcej|"
        "zobacz więcej|czytaj dalej|szczegóły",
        "hu": "kattints ide|kattintson ide|kattints|ide|itt|tovább|bővebben|olvass tovább|"
        "tovább olvasom|további információ|részletek|még több",
        "uk": "натисніть тут|натисніть|тут|читати далі|читайте далі|докладніше|детальніше|більше|"
        "дізнатися більше|дізнайтеся більше|деталі",
        "ar": "انقر هنا|اضغط هنا|هنا|اقرأ المزيد|المزيد|اعرف المزيد|لمعرفة المزيد|قراءة المزيد|"
        "التفاصيل|المزيد من المعلومات",
    }.items()
}


def _norm(text: str) -> str:
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def _generic_words(lang: str) -> frozenset[str]:
    base = lang.replace("-", "_").split("_")[0]
    return GENERIC_LINK_TEXT["en"] | GENERIC_LINK_TEXT.get(base, frozenset())


def _f(rule: str, severity: Severity, message: str, where: str = "") -> LintFinding:
    return LintFinding(rule=rule, severity=severity, message=message, where=where)


def _link_ok(href: str) -> bool:
    href = href.strip()
    if _PLACEHOLDER.match(href) or href.lower().startswith(("mailto:", "tel:")):
        return True
    parts = urlsplit(href)
    return parts.scheme.lower() == "https" and bool(parts.netloc)


def _check_document(doc: Node, lang: str) -> list[LintFinding]:
    out: list[LintFinding] = []
    html = doc.find("html")
    if html is None or not html.attrs.get("lang", "").strip():
        out.append(
            _f(
                "html-lang",
                Severity.ERROR,
                "<html> has no lang attribute: screen readers cannot pick a voice; "
                f'set <html lang="{lang.replace("_", "-")}">',
            )
        )
    else:
        declared = html.attrs["lang"].strip().replace("_", "-").split("-")[0].lower()
        if declared != lang.replace("-", "_").split("_")[0].lower():
            out.append(
                _f(
                    "html-lang-mismatch",
                    Severity.ERROR,
                    f'<html lang="{html.attrs["lang"]}"> but this is the {lang} edition',
                    html.describe(),
                )
            )
    if text_direction(lang) == "rtl" and (
        html is None or html.attrs.get("dir", "").lower() != "rtl"
    ):
        out.append(
            _f("html-dir", Severity.ERROR, f'{lang} reads right to left but <html> lacks dir="rtl"')
        )
    return out


def _check_images(doc: Node) -> list[LintFinding]:
    out: list[LintFinding] = []
    for img in doc.find_all("img"):
        src = img.attrs.get("src", "")
        if src and not (_link_ok(src) or src.startswith("cid:")):
            out.append(
                _f(
                    "image-not-https",
                    Severity.ERROR,
                    f"image source {src[:80]!r} is not an absolute https URL: "
                    "clients block or warn about it",
                    img.describe(),
                )
            )
        if "alt" not in img.attrs:
            out.append(
                _f(
                    "img-alt",
                    Severity.ERROR,
                    'image without an alt attribute: give it alt text, or alt="" with '
                    'role="presentation" if it is decorative',
                    img.describe(),
                )
            )
            continue
        if img.attrs["alt"].strip():
            continue
        decorative = (
            img.attrs.get("role", "").lower() in {"presentation", "none"}
            or img.attrs.get("aria-hidden", "").lower() == "true"
            or _tiny(img)
        )
        link = _ancestor(img, "a")
        if link is not None and not link.text(with_alt=True) and not _has_label(link):
            out.append(
                _f(
                    "img-alt",
                    Severity.ERROR,
                    "the only content of a link is an image with empty alt text: the link "
                    "has no name; describe where it leads in alt",
                    img.describe(),
                )
            )
        elif not decorative:
            out.append(
                _f(
                    "img-alt-empty",
                    Severity.WARNING,
                    'image with alt="": fine only if decorative; then add '
                    'role="presentation", else describe it',
                    img.describe(),
                )
            )
    return out


def _tiny(img: Node) -> bool:
    """Spacers and 1×1 pixels are decorative by nature."""
    dims = [img.attrs.get("width", ""), img.attrs.get("height", "")]
    return any(d.strip().rstrip("px").isdigit() and int(d.strip().rstrip("px")) <= 2 for d in dims)


def _ancestor(node: Node, tag: str) -> Node | None:
    p = node.parent
    while p is not None and p.tag != tag:
        p = p.parent
    return p


def _has_label(node: Node) -> bool:
    return any(node.attrs.get(k, "").strip() for k in ("aria-label", "aria-labelledby", "title"))


@dataclass(frozen=True)
class PublishedImages:
    """What the image rules check against: the public URL of the published archive (with its
    trailing slash), the published files behind it, and the email's logo URL."""

    base_url: str
    files: PublishedFiles
    logo_url: str = ""


def published_images(settings: Settings, files: PublishedFiles) -> PublishedImages:
    """The image rules' view of ``settings``' published archive in ``files``."""
    return PublishedImages(archive_base(settings), files, logo_url(settings))


def _published_image_problem(published: PublishedImages, rest: str) -> str:
    """Why the image at ``rest`` under the published archive would not load, or ""."""
    if "" in rest.split("/"):
        return (
            "has an empty path segment (a leading, trailing or double slash): a static host or "
            "object store would not serve it"
        )
    path = f"{PUBLISHED_DIR}/{rest}"
    try:
        data = published.files.read_bytes(path) if published.files.exists(path) else None
    except (OSError, StorageError):
        data = None
    if data is None:
        return f"is not published: {published.files.location(PUBLISHED_DIR)}/{rest} is absent"
    if not is_image(data):
        return "is published but is not a PNG, JPEG or GIF image"
    return ""


def _check_image_urls(doc: Node, published: PublishedImages | None) -> list[LintFinding]:
    """Every https image must be an image a reader's client can load: under the published archive,
    a file that is published there and is a PNG, JPEG or GIF by its content; elsewhere, a URL whose
    path names a PNG, JPEG, GIF or WebP file. The logo must be under the published archive."""
    out: list[LintFinding] = []
    seen: set[str] = set()
    if published is not None and published.logo_url:
        if not published.logo_url.startswith(published.base_url):
            out.append(
                _f(
                    "logo-url",
                    Severity.ERROR,
                    f"the logo {published.logo_url[:80]!r} is not under the published archive "
                    f"{published.base_url}: leave newsletter.logo_url empty for the network's logo, "
                    "which drafting publishes there",
                )
            )
    for img in doc.find_all("img"):
        src = img.attrs.get("src", "").strip()
        if not src.lower().startswith("https://") or src in seen:
            continue  # not https: image-not-https says so
        seen.add(src)
        problem = ""
        if published is not None and src.startswith(published.base_url):
            rest = unquote(urlsplit(src).path[len(urlsplit(published.base_url).path) :])
            problem = _published_image_problem(published, rest)
        elif not looks_like_image_url(src):
            problem = "does not name an image file (.png, .jpg, .jpeg, .gif or .webp)"
        if problem:
            out.append(
                _f("image-url", Severity.ERROR, f"image {src[:100]!r} {problem}", img.describe())
            )
    return out


def _check_links(doc: Node, lang: str) -> list[LintFinding]:
    out: list[LintFinding] = []
    generic = _generic_words(lang)
    for a in doc.find_all("a", "area"):
        if "href" not in a.attrs:
            continue
        href = a.attrs["href"]
        if not _link_ok(href):
            out.append(
                _f(
                    "link-not-https",
                    Severity.ERROR,
                    f"link {href[:80]!r} is not an absolute https URL (mailto: and "
                    "[[placeholders]] are fine)",
                    a.describe(),
                )
            )
        name = _DECOR.sub(" ", _norm(a.text(with_alt=True))).strip()
        if name in generic and not _has_label(a):
            out.append(
                _f(
                    "generic-link-text",
                    Severity.WARNING,
                    f"link text {a.text(with_alt=True)!r} says nothing out of context: "
                    "name the destination, or add an aria-label that does",
                    a.describe(),
                )
            )
    return out


def _check_headings(doc: Node) -> list[LintFinding]:
    out: list[LintFinding] = []
    previous = 0
    for h in doc.iter():
        if len(h.tag) == 2 and h.tag[0] == "h" and h.tag[1] in "123456":
            level = int(h.tag[1])
            if previous and level > previous + 1:
                out.append(
                    _f(
                        "heading-skip",
                        Severity.WARNING,
                        f"heading level jumps from h{previous} to h{level}: screen-reader "
                        f"users navigate by level; use h{previous + 1}",
                        h.describe(),
                    )
                )
            previous = level
    return out


def _check_parts(doc: Node, text: str) -> list[LintFinding]:
    """The text part must say what the HTML says: same links, same titles, mostly the same words."""
    out: list[LintFinding] = []
    if not text.strip():
        return [_f("parts-text", Severity.ERROR, "the plain-text part is empty")]
    body = doc.find("body") or doc
    ntext = _norm(text)
    missing_links: list[str] = []
    for a in body.find_all("a"):
        href = a.attrs.get("href", "").strip()
        if not href or href in missing_links or href.startswith("#"):
            continue
        alternatives = [href]
        if href.lower().startswith("mailto:"):
            alternatives.append(href[7:].split("?")[0])
        if not any(alt.casefold() in ntext for alt in alternatives):
            missing_links.append(href)
    if missing_links:
        shown = ", ".join(missing_links[:5]) + (" ..." if len(missing_links) > 5 else "")
        out.append(
            _f(
                "parts-links",
                Severity.ERROR,
                f"{len(missing_links)} link(s) of the HTML are not in the text part: {shown}",
            )
        )
    text_words = set(_WORD.findall(ntext))
    differing: list[str] = []
    for h in body.find_all("h1", "h2", "h3", "h4", "h5", "h6"):
        title = h.text(visible_only=True)
        words = _WORD.findall(_norm(title))
        if not words or _norm(title) in ntext:
            continue
        if sum(w in text_words for w in words) / len(words) < TITLE_COVERAGE_MIN:
            differing.append(title)
    if differing:
        out.append(
            _f(
                "parts-titles",
                Severity.ERROR,
                f"{len(differing)} title(s) of the HTML differ in the text part: "
                + "; ".join(repr(t[:60]) for t in differing[:5]),
            )
        )
    html_words = set(_WORD.findall(_norm(body.text(visible_only=True, with_alt=False))))
    if html_words:
        coverage = len(html_words & text_words) / len(html_words)
        if coverage < TEXT_COVERAGE_MIN:
            absent = sorted(html_words - text_words)[:12]
            out.append(
                _f(
                    "parts-text",
                    Severity.ERROR,
                    f"the text part holds only {coverage:.0%} of the HTML's words "
                    f"(at least {TEXT_COVERAGE_MIN:.0%} needed; spam filters score "
                    f"differing parts); missing e.g.: {', '.join(absent)}",
                )
            )
    return out


def _check_live(parts: dict[str, str], nonce: str) -> list[LintFinding]:
    """Nothing gathered may still be live syntax for a provider's engine or for our placeholders."""
    out: list[LintFinding] = []
    for where, part in parts.items():
        found = live_syntax(part, nonce, where)
        for live in found[:5]:
            out.append(_f("live-syntax", Severity.ERROR, live.message(), where))
        if len(found) > 5:
            out.append(
                _f("live-syntax", Severity.ERROR, f"... and {len(found) - 5} more in the {where}",
                   where)
            )  # fmt: skip
    return out


def lint_message(
    html: str,
    text: str,
    lang: str,
    *,
    nonce: str = "",
    subject: str = "",
    preheader: str = "",
    published: PublishedImages | None = None,
) -> list[LintFinding]:
    """Every finding for one rendered message (its HTML and text parts, subject and preheader) in
    language ``lang``; ``nonce`` is the render's placeholder marker (see :mod:`render.inert`);
    ``published``: the published archive that images under it must be found in."""
    findings: list[LintFinding] = _check_live(
        {"html": html, "text": text, "subject": subject, "preheader": preheader}, nonce
    )
    size = len(html.encode("utf-8"))
    if size > HTML_SIZE_LIMIT:
        findings.append(
            _f(
                "html-size",
                Severity.ERROR,
                f"the HTML is {size:,} bytes; Gmail clips messages over about 102 KB "
                f"(limit here {HTML_SIZE_LIMIT:,}): fewer items or shorter summaries",
            )
        )
    doc = parse_html(html)
    findings += _check_document(doc, lang)
    findings += _check_images(doc)
    findings += _check_image_urls(doc, published)
    findings += _check_links(doc, lang)
    findings += _check_headings(doc)
    findings += _check_parts(doc, text)
    styles = ["".join(c for c in s.children if isinstance(c, str)) for s in doc.find_all("style")]
    inline = [(n.attrs["style"], n.describe()) for n in doc.iter() if n.attrs.get("style")]
    findings += check_css(styles, inline)
    return findings


def has_errors(findings: list[LintFinding]) -> bool:
    """True when a finding blocks sending."""
    return any(f.severity is Severity.ERROR for f in findings)
