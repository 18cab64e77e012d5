"""Evidence files: what kind of file an upload is, its hash, and the copy the public gets.

A researcher keeps what a source said (the article saved as PDF or HTML, screenshots,
photos, videos) so that it can be shown later exactly as it was. The type is read from the
file's first bytes, never from its name or the browser's word, and only the types of
:data:`FILE_TYPES` (narrowed by ``INCIDENT_MAP["EVIDENCE_TYPES"]``) are accepted. The bytes
live in the storage named ``evidence`` in ``settings.STORAGES`` under a random name, so no
address can be guessed; they are served only by views that check who asks.

A photo or screenshot often carries where it was taken (EXIF GPS, XMP): the public is
served a copy without any of its metadata (:func:`public_image_copy`).
"""

from __future__ import annotations

import hashlib
import io
import re
import secrets
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import Storage, storages
from django.http import FileResponse
from django.utils.translation import gettext_lazy as _

STORAGE_ALIAS = "evidence"
# Enough of a file's start to recognise every type below.
HEAD_BYTES = 4096


@dataclass(frozen=True)
class FileType:
    content_type: str
    extension: str
    label: Any
    image: bool = False


FILE_TYPES: dict[str, FileType] = {
    t.content_type: t
    for t in (
        FileType("application/pdf", "pdf", _("PDF document")),
        FileType("text/html", "html", _("HTML page")),
        FileType("multipart/related", "mhtml", _("Web page archive (MHTML)")),
        FileType("application/warc", "warc", _("Web archive (WARC)")),
        FileType("image/jpeg", "jpg", _("JPEG image"), image=True),
        FileType("image/png", "png", _("PNG image"), image=True),
        FileType("image/gif", "gif", _("GIF image"), image=True),
        FileType("image/webp", "webp", _("WebP image"), image=True),
        FileType("video/mp4", "mp4", _("MP4 video")),
        FileType("video/quicktime", "mov", _("QuickTime video")),
        FileType("video/webm", "webm", _("WebM video")),
        FileType("video/x-matroska", "mkv", _("Matroska video")),
    )
}

# ISO base media files name their flavour ("brand") at bytes 8-12 of the "ftyp" box.
_MP4_BRANDS = {
    b"isom",
    b"iso2",
    b"iso4",
    b"iso5",
    b"iso6",
    b"mp41",
    b"mp42",
    b"avc1",
    b"M4V ",
    b"M4VH",
    b"M4VP",
    b"MSNV",
    b"dash",
    b"mmp4",
    b"f4v ",
    b"3gp4",
    b"3gp5",
    b"3gp6",
    b"3g2a",
}
# The starts of an HTML document (after a byte order mark and white space), as browsers
# recognise it: each tag name must end with a space or ">".
_HTML_TAGS = (b"!doctype html", b"html", b"head", b"body", b"title", b"meta", b"script", b"!--")


def sniff(head: bytes) -> str | None:
    """The content type that the file starting with ``head`` has, or None if it is none of
    :data:`FILE_TYPES`."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand == b"qt  ":
            return "video/quicktime"
        if brand in _MP4_BRANDS:
            return "video/mp4"
        return None
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        # The EBML header names its document type near the start.
        if b"webm" in head[:64]:
            return "video/webm"
        if b"matroska" in head[:64]:
            return "video/x-matroska"
        return None
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n\x0c")
    if text.startswith((b"WARC/1.0\r\n", b"WARC/1.1\r\n")):
        return "application/warc"
    if _is_mhtml(text):
        return "multipart/related"
    if text[:1] == b"<":
        lowered = text[1:64].lower()
        for tag in _HTML_TAGS:
            if lowered.startswith(tag):
                after = lowered[len(tag) : len(tag) + 1]
                if tag == b"!--" or after in (b" ", b">", b"\t", b"\n", b"\r"):
                    return "text/html"
    return None


def _is_mhtml(text: bytes) -> bool:
    """A page saved by a browser as one file ("Webpage, single file"): a MIME message
    whose headers, before the first blank line, say multipart/related."""
    headers, blank, _rest = text.replace(b"\r\n", b"\n").partition(b"\n\n")
    if not blank or not re.match(rb"^[A-Za-z-]+: ", headers):
        return False
    lines = [line.lower() for line in headers.split(b"\n")]
    return b"mime-version: 1.0" in lines and any(
        line.startswith(b"content-type: multipart/related") for line in lines
    )


def allowed_types() -> list[str]:
    configured = settings.INCIDENT_MAP.get("EVIDENCE_TYPES")
    return [t for t in FILE_TYPES if not configured or t in configured]


def max_bytes() -> int:
    return int(settings.INCIDENT_MAP["EVIDENCE_MAX_BYTES"])


def size_text(size: int) -> str:
    """A size for people: bytes below a kilobyte, else KB, MB or GB with one decimal."""
    if size < 1024:
        return f"{size} B"
    value = float(size)
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1024
        if value < 1024 or unit == "TB":
            return f"{value:.1f} {unit}"
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class Examined:
    """What reading an upload once found: its hash, its size and its type."""

    sha256: str
    size: int
    content_type: str | None
    too_large: bool


def examine(upload: File, limit: int) -> Examined:
    """Read the upload once, hashing it, stopping as soon as it is larger than ``limit``
    (the size the client declares is not trusted either)."""
    digest = hashlib.sha256()
    size = 0
    head = b""
    if hasattr(upload, "seek"):
        upload.seek(0)
    for chunk in upload.chunks():
        if len(head) < HEAD_BYTES:
            head += chunk[: HEAD_BYTES - len(head)]
        size += len(chunk)
        if size > limit:
            return Examined(sha256="", size=size, content_type=None, too_large=True)
        digest.update(chunk)
    upload.seek(0)
    return Examined(sha256=digest.hexdigest(), size=size, content_type=sniff(head), too_large=False)


def storage() -> Storage:
    return storages[STORAGE_ALIAS]


def new_storage_name() -> str:
    """A name nobody can guess (128 random bits), spread over 256 folders, with no
    extension: the type is kept in the database, not in the name."""
    token = secrets.token_hex(16)
    return f"{token[:2]}/{token}"


def store(content: File) -> str:
    """Write ``content`` to the evidence storage under a new random name; return it."""
    name = new_storage_name()
    saved = storage().save(name, content)
    if saved != name:  # a storage must never rename: the name is the only key
        storage().delete(saved)
        raise OSError(f"The evidence storage renamed {name!r} to {saved!r}.")
    return saved


def open_stored(name: str) -> File:
    return storage().open(name, "rb")


def read_chunks(name: str, chunk_size: int = 64 * 1024) -> Iterator[bytes]:
    with open_stored(name) as stored:
        yield from stored.chunks(chunk_size)


class UnreadableImage(ValueError):
    """The image cannot be decoded, so its metadata cannot be removed."""


_PILLOW_FORMATS = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/gif": "GIF",
    "image/webp": "WEBP",
}


def public_image_copy(data: bytes, content_type: str) -> bytes:
    """The image drawn again with no metadata at all: EXIF (and its GPS position), XMP,
    IPTC and comments are left behind. The picture is first turned the way its EXIF
    orientation says, since that tag goes too."""
    from PIL import Image, ImageOps

    fmt = _PILLOW_FORMATS.get(content_type)
    if fmt is None:
        raise UnreadableImage(content_type)
    try:
        with warnings.catch_warnings():
            # A decompression bomb is refused rather than decoded.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                if fmt == "GIF":
                    frames = [frame.copy() for frame in _frames(image)]
                    out = io.BytesIO()
                    frames[0].save(
                        out,
                        format="GIF",
                        save_all=len(frames) > 1,
                        append_images=frames[1:],
                        loop=image.info.get("loop", 0),
                        duration=image.info.get("duration", 100),
                    )
                    return out.getvalue()
                upright = ImageOps.exif_transpose(image)
                # A fresh image holds pixels only, so nothing of the original's info or
                # EXIF can be written out with it.
                clean = Image.new(upright.mode, upright.size)
                clean.paste(upright)
                if upright.mode == "P" and upright.getpalette():
                    clean.putpalette(upright.getpalette())
                if fmt == "JPEG" and clean.mode not in ("RGB", "L", "CMYK"):
                    clean = clean.convert("RGB")
                out = io.BytesIO()
                options = {"quality": 95} if fmt in ("JPEG", "WEBP") else {}
                clean.save(out, format=fmt, **options)
                return out.getvalue()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError, Warning) as error:
        raise UnreadableImage(str(error)) from error


def _frames(image):
    from PIL import ImageSequence

    for frame in ImageSequence.Iterator(image):
        yield frame.convert("RGBA") if frame.mode not in ("P", "L", "RGB", "RGBA") else frame


def store_bytes(data: bytes) -> str:
    return store(ContentFile(data))


def public_filename(sha256: str, content_type: str) -> str:
    """The name the public download carries: the original name may say too much (a
    witness's name, a place)."""
    file_type = FILE_TYPES.get(content_type)
    return f"evidence-{sha256[:16]}.{file_type.extension if file_type else 'bin'}"


def type_label(content_type: str) -> str:
    file_type = FILE_TYPES.get(content_type)
    return str(file_type.label) if file_type else content_type


def download_response(
    *, storage_name: str, content_type: str, filename: str, inline: bool, public: bool
) -> FileResponse:
    """The file as a download. Only a public image is shown in the page (``inline``);
    anything else is an attachment, and every answer forbids the browser to run what it
    holds (a saved HTML page brings its scripts), to guess another type, or to keep a
    signed-in user's copy in a shared cache."""
    response = FileResponse(
        open_stored(storage_name),
        as_attachment=not inline,
        filename=filename,
        content_type=content_type,
    )
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["X-Content-Type-Options"] = "nosniff"
    # A reviewer may unmark a file: no copy is kept where a later request would find it.
    response["Cache-Control"] = "no-cache" if public else "private, no-store"
    return response
