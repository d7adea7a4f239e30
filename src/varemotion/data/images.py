"""Image decoding and resizing shared by the loaders (pillow)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import DataError

#: File suffixes read as images (lower case).
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp"})
IMAGE_EXPECTED = "a complete PNG, JPEG or BMP image"


def is_image_file(path: Path) -> bool:
    """True for a visible regular file with an image suffix."""
    return path.is_file() and not path.name.startswith(".") and path.suffix.lower() in IMAGE_SUFFIXES


def to_square(image: Image.Image, image_size: int) -> Image.Image:
    """Centre-crop to a square (keeps the face's aspect ratio), then Lanczos-resize."""
    width, height = image.size
    if width != height:
        side = min(width, height)
        left, top = (width - side) // 2, (height - side) // 2
        image = image.crop((left, top, left + side, top + side))
    if image.size != (image_size, image_size):
        image = image.resize((image_size, image_size), Image.Resampling.LANCZOS)
    return image


def flatten_alpha(image: Image.Image) -> Image.Image:
    """An image with transparency composited onto black (a cut-out keeps a black surround); others as they are."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        return Image.alpha_composite(Image.new("RGBA", rgba.size, (0, 0, 0, 255)), rgba).convert("RGB")
    return image


def crop_to_box(image: Image.Image, box: Sequence[int], path) -> Image.Image:
    """The (left, top, right, bottom) pixel box of an image; a box outside it raises DataError."""
    left, top, right, bottom = (int(v) for v in box)
    width, height = image.size
    if not (0 <= left < right <= width and 0 <= top < bottom <= height):
        raise DataError(path, f"the crop box {[left, top, right, bottom]} does not lie within the {width}×{height}"
                              " image", expected="a box (left, top, right, bottom) with 0 ≤ left < right ≤ width and"
                                                 " 0 ≤ top < bottom ≤ height")
    return image.crop((left, top, right, bottom))


def read_image(path: str | os.PathLike[str], image_size: int, grey: bool = True,
               crop_box: Sequence[int] | None = None) -> np.ndarray:
    """Read one image as uint8 (S, S) grey or (S, S, 3) RGB; a bad file raises DataError.

    Transparent pixels are composited onto black; ``crop_box`` (left, top, right, bottom, in
    pixels) is cut out first, else the centre square (:func:`to_square`).
    """
    try:
        with Image.open(path) as image:
            image = ImageOps.exif_transpose(image)
            if image.mode.startswith("I;16") or image.mode == "I":
                image = image.point(lambda v: v / 256)  # 16-bit to 8-bit range
            image = flatten_alpha(image).convert("L" if grey else "RGB")
    except FileNotFoundError:
        raise DataError(path, "image file does not exist") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        reason = str(exc).replace(f" {str(path)!r}", "").replace(str(path), "the file")
        raise DataError(path, f"cannot be read as an image ({reason})", expected=IMAGE_EXPECTED) from None
    if crop_box is not None:
        image = crop_to_box(image, crop_box, path)
    return np.asarray(to_square(image, image_size), dtype=np.uint8)


def read_images(paths: Sequence[str | os.PathLike[str]], image_size: int, grey: bool = True,
                crop_box: Sequence[int] | None = None) -> np.ndarray:
    """Read many images into one uint8 array (N, S, S) or (N, S, S, 3), in the given order."""
    # A plain loop: small PNGs decode under the GIL, and a thread pool measured 2-3x slower.
    shape = (len(paths), image_size, image_size) + (() if grey else (3,))
    out = np.empty(shape, dtype=np.uint8)
    for i, path in enumerate(paths):
        out[i] = read_image(path, image_size, grey, crop_box)
    return out


def resize_array(images: np.ndarray, image_size: int) -> np.ndarray:
    """Lanczos-resize a uint8 batch (N, H, W[, C]) to square image_size; a no-op if already so."""
    if images.shape[1:3] == (image_size, image_size):
        return images
    resized = [np.asarray(to_square(Image.fromarray(im), image_size)) for im in images]
    return np.stack(resized) if resized else images[:, :image_size, :image_size].copy()
