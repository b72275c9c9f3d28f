"""Published files (archive pages, feeds, image cards) under one configured root, through fsspec.

``publish.url`` names the root: a local folder by default (``out_dir``), or any fsspec URL such as
``file:///srv/outreach``, ``s3://bucket/prefix`` (install ``s3fs``) or ``memory://outreach`` (tests).
Every machine that publishes writes to the same root, so nothing public lives on one worker's disk.

>>> files = PublishedFiles("memory://doc")
>>> files.write_text("archive/en/index.html", "<p>hi</p>")
'memory:///doc/archive/en/index.html'
>>> files.read_text("archive/en/index.html")
'<p>hi</p>'
"""

from __future__ import annotations

from pathlib import Path

import fsspec
from fsspec.spec import AbstractFileSystem

from hrc_outreach.config import Settings
from hrc_outreach.errors import ConfigError, OutreachError


class StorageError(OutreachError):
    """A published file could not be written or read; the message names it and its root."""


class PublishedFiles:
    """Files under a root URL; paths are relative, with ``/`` separators."""

    def __init__(self, url: str) -> None:
        try:
            self.fs, root = fsspec.core.url_to_fs(url)
        except (ImportError, ValueError) as exc:
            raise ConfigError(
                f"publish.url {url!r}: no filesystem for it ({exc}); use a folder, file:///..., "
                "or install the fsspec backend it needs (s3fs for s3://)"
            ) from exc
        self.root = root.rstrip("/")
        self.local = _is_local(self.fs)

    def _full(self, path: str) -> str:
        parts = [p for p in path.split("/") if p]
        if any(p in (".", "..") for p in parts) or not parts:
            raise StorageError(f"{path!r} is not a path inside the published files")
        return "/".join([self.root, *parts])

    def location(self, path: str) -> str:
        """Where ``path`` is, for people: a local path, or the URL with its protocol."""
        full = self._full(path)
        return full if self.local else str(self.fs.unstrip_protocol(full))

    def write_bytes(self, path: str, data: bytes) -> str:
        """Write (or replace) ``path``; returns its :meth:`location`."""
        full = self._full(path)
        try:
            self.fs.makedirs(full.rsplit("/", 1)[0], exist_ok=True)
            with self.fs.open(full, "wb") as fh:
                fh.write(data)
        except OSError as exc:
            raise StorageError(f"could not write {self.location(path)}: {exc}") from exc
        return self.location(path)

    def write_text(self, path: str, text: str) -> str:
        return self.write_bytes(path, text.encode("utf-8"))

    def read_bytes(self, path: str) -> bytes:
        try:
            with self.fs.open(self._full(path), "rb") as fh:
                return bytes(fh.read())
        except FileNotFoundError:
            raise
        except OSError as exc:
            raise StorageError(f"could not read {self.location(path)}: {exc}") from exc

    def read_text(self, path: str) -> str:
        return self.read_bytes(path).decode("utf-8")

    def exists(self, path: str) -> bool:
        return bool(self.fs.isfile(self._full(path)))

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        """(folder names, file names) directly under ``path``; empty when it does not exist."""
        full = self._full(path)
        if not self.fs.isdir(full):
            return [], []
        dirs: list[str] = []
        files: list[str] = []
        for entry in self.fs.ls(full, detail=True):
            name = str(entry["name"]).rstrip("/").rsplit("/", 1)[-1]
            (dirs if entry["type"] == "directory" else files).append(name)
        return sorted(dirs), sorted(files)

    def copy(self, src: str, dst: str) -> str:
        """Copy ``src`` to ``dst`` (both under the root); returns the location of ``dst``."""
        return self.write_bytes(dst, self.read_bytes(src))

    def put_file(self, local: Path, path: str) -> str:
        """Upload a local file (an image card drawn on this machine) to ``path``."""
        return self.write_bytes(path, local.read_bytes())


def _is_local(fs: AbstractFileSystem) -> bool:
    protocol = fs.protocol
    names = (protocol,) if isinstance(protocol, str) else tuple(protocol)
    return "file" in names or "local" in names


def published_files(settings: Settings, default: Path | None = None) -> PublishedFiles:
    """The configured root (``publish.url``); without one, the folder ``default`` (a draft's
    ``--out``), else ``out_dir``."""
    url = settings.publish.url
    if not url:
        return PublishedFiles(
            str(default if default is not None else settings.resolve(settings.out_dir))
        )
    if "://" not in url:  # a folder, relative to the config file like every other path
        return PublishedFiles(str(settings.resolve(url)))
    return PublishedFiles(url)
