"""What a file really is, from its first bytes, and how it may be served.

The type an uploader declares is not believed: a page could be uploaded as ``image/png`` and
then opened from the chat's origin.  ``filetype`` (a small, maintained, pure-Python library)
knows the magic numbers of images, video, audio, archives and documents; what it does not know
is ``text/plain`` when it is UTF-8 without NUL bytes (HTML and SVG included: they are text, and
are served as text, never rendered), else ``application/octet-stream``.
"""

from __future__ import annotations

import filetype

#: Shown in the page (as <img>, <video>, <audio>) rather than downloaded.  SVG is never among them:
#: it is text to the sniffer, since an SVG can carry script.
INLINE = ("image/png", "image/jpeg", "image/gif", "image/webp", "image/avif", "video/mp4", "video/webm",
          "audio/mpeg", "audio/ogg", "audio/wav", "audio/x-wav", "audio/webm", "audio/mp4", "video/ogg")

#: What is taken by default (``--upload-types``).
DEFAULT_TYPES = "image/*,video/*,audio/*,application/pdf,text/plain,application/zip"


def sniff(head: bytes) -> str:
    """The type of a file that starts with ``head`` (its first few KiB)."""
    kind = filetype.guess(head)
    if kind is not None:
        return str(kind.mime)
    if b"\x00" in head:
        return "application/octet-stream"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 3:  # a character cut at the end of the head is still text
            return "application/octet-stream"
    return "text/plain"


def allowed(kind: str, patterns: tuple[str, ...]) -> bool:
    """Whether ``kind`` matches one of ``patterns`` (``image/*``, ``application/pdf``)."""
    major = kind.split("/", 1)[0]
    return any(p == kind or p == "*/*" or (p.endswith("/*") and p[:-2] == major) for p in patterns)


def inline(kind: str) -> bool:
    return kind in INLINE


def patterns(text: str) -> tuple[str, ...]:
    """``--upload-types`` as a tuple; raises ValueError on a malformed entry."""
    found = tuple(p.strip().lower() for p in text.split(",") if p.strip())
    for p in found:
        major, _, minor = p.partition("/")
        if not major or not minor or " " in p:
            raise ValueError(p)
    return found
