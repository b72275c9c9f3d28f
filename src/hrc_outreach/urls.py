"""The one reading of a link, under both URL checks.

Gathering cleans what comes in (:func:`hrc_outreach.sources.sanitize.inbound_url`: relative links
joined, ``mailto:``/``tel:`` allowed); rendering checks what goes out
(:func:`hrc_outreach.render.safe.outbound_url`: absolute http(s) only, template syntax
percent-encoded). Both read a link with :func:`checked_link`, so the parsing, the credential
stripping and the scheme test cannot drift apart: the output check only adds rules.
"""

from __future__ import annotations

from collections.abc import Collection
from urllib.parse import urljoin, urlsplit

WEB_SCHEMES = frozenset({"http", "https"})


def without_userinfo(url: str) -> str:
    """``url`` without the ``user:password@`` before its host.

    A source URL may carry a partner's credentials: links resolved against it must not publish
    them, and ``https://trusted.example@evil.example/`` must show the host it really goes to.

    >>> without_userinfo("https://reader:s3cret@partner.example/p?a=b@c")
    'https://partner.example/p?a=b@c'
    """
    try:
        netloc = urlsplit(url).netloc
    except ValueError:
        return url
    if "@" not in netloc:
        return url
    at = url.find(netloc)
    return url[:at] + netloc.rpartition("@")[2] + url[at + len(netloc) :]


def checked_link(
    url: str | None,
    schemes: Collection[str],
    *,
    base_url: str = "",
    need_host: bool = False,
) -> str | None:
    """``url`` stripped, made absolute against ``base_url`` and without credentials when it is
    http(s); None if it is empty, unparseable, of a scheme not in ``schemes`` or, with
    ``need_host``, has no host.

    >>> checked_link("../a", {"https"}, base_url="https://u:pw@ex.org/x/y")
    'https://ex.org/a'
    >>> checked_link("javascript:alert(1)", WEB_SCHEMES) is None
    True
    """
    if not url:
        return None
    url = url.strip()
    try:
        joined = urljoin(base_url, url) if base_url else url
        parts = urlsplit(joined)
    except ValueError:  # e.g. an invalid IPv6 literal
        return None
    scheme = parts.scheme.lower()
    if scheme not in schemes or (need_host and not parts.netloc):
        return None
    return without_userinfo(joined) if scheme in WEB_SCHEMES else joined
