"""Copied and written files of the experiment folder, complete or absent, with the usual permissions."""

from __future__ import annotations

import os
from pathlib import Path

from varemotion.atomic import umask, write_atomically


def copy_file(source: str | os.PathLike[str], dest: str | os.PathLike[str]) -> Path:
    """Copy ``source`` to ``dest`` through a temporary file, so ``dest`` is complete or unchanged."""
    source = Path(source)
    return _readable(write_atomically(dest, lambda handle: handle.write(source.read_bytes())))


def write_text(dest: str | os.PathLike[str], text: str) -> Path:
    """Write UTF-8 text with Unix line ends to ``dest`` through a temporary file."""
    return _readable(write_atomically(dest, lambda handle: handle.write(text.encode("utf-8"))))


def _readable(path: Path) -> Path:
    """Give a file written through a private temporary file the usual permissions (0666 less the umask)."""
    os.chmod(path, 0o666 & ~umask())
    return path
