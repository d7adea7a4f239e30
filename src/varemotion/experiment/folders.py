"""Writing whole folders and copied files so that a failure never leaves partial output behind."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from varemotion.atomic import write_atomically


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def replace_directory(out_dir: str | os.PathLike[str], build: Callable[[Path], object]) -> Path:
    """Call ``build(folder)`` on an empty folder next to ``out_dir``, then put it in place of ``out_dir``.

    An existing ``out_dir`` is replaced as a whole. On any error the new folder is removed and
    ``out_dir`` is left as it was.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"{out_dir} exists and is not a folder")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}.", suffix=".tmp"))
    try:
        os.chmod(staging, 0o777 & ~_umask())
        build(staging)
        _swap_into_place(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out_dir


def _swap_into_place(staging: Path, out_dir: Path) -> None:
    """Move ``staging`` to ``out_dir``; an existing ``out_dir`` is moved aside first and deleted after."""
    if not out_dir.exists():
        os.replace(staging, out_dir)
        return
    old = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}.", suffix=".old"))
    old.rmdir()
    os.replace(out_dir, old)
    try:
        os.replace(staging, out_dir)
    except BaseException:
        os.replace(old, out_dir)
        raise
    shutil.rmtree(old, ignore_errors=True)


def copy_file(source: str | os.PathLike[str], dest: str | os.PathLike[str]) -> Path:
    """Copy ``source`` to ``dest`` through a temporary file, so ``dest`` is complete or unchanged."""
    source = Path(source)
    return _readable(write_atomically(dest, lambda handle: handle.write(source.read_bytes())))


def write_text(dest: str | os.PathLike[str], text: str) -> Path:
    """Write UTF-8 text with Unix line ends to ``dest`` through a temporary file."""
    return _readable(write_atomically(dest, lambda handle: handle.write(text.encode("utf-8"))))


def _readable(path: Path) -> Path:
    """Give a file written through a private temporary file the usual permissions (0666 less the umask)."""
    os.chmod(path, 0o666 & ~_umask())
    return path
