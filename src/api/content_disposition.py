"""`Content-Disposition` headers for downloads, built from a sanitised name (RFC 6266 with RFC 8187 / 5987).

Download names contain text from the database and the query (an operation's name, a site id), which may hold
quotes, semicolons, CR/LF or any script. Pasted raw into the header, a quote injects a second `filename`, CR/LF
breaks the response and a non-Latin-1 character cannot be sent at all. Every download header is built here:
an ASCII `filename="..."` fallback for old clients and the full name as `filename*=UTF-8''...`.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal
from urllib.parse import quote

MAX_NAME = 120  # characters of the name before its extension; longer names are cut
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\"\\/;:*?<>|%]+")  # controls, quotes, separators, header syntax
_NOT_PLAIN = re.compile(r"[^A-Za-z0-9._()+,=@~ -]+")
_EXT = re.compile(r"^[A-Za-z0-9]{1,10}$")


def safe_name(name: str) -> str:
    """The name without control characters, quotes, path or header separators; trimmed; never empty."""
    text = unicodedata.normalize("NFC", name)
    text = "".join(c for c in text if unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Co", "Cn"))
    text = _UNSAFE.sub("-", text)
    text = re.sub(r"\s+", " ", text).strip(" .-")
    return text[:MAX_NAME].strip(" .-") or "download"


def _ascii_fallback(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    folded = _NOT_PLAIN.sub("_", folded).strip(" ._-")
    return folded or "download"


def content_disposition(name: str, extension: str,
                        disposition: Literal["attachment", "inline"] = "attachment") -> str:
    """`attachment; filename="ascii.ext"; filename*=UTF-8''percent-encoded.ext` for `name` + `.extension`."""
    if not _EXT.match(extension):
        raise ValueError(f"not a file extension: {extension!r}")
    clean = safe_name(name)
    fallback = f"{_ascii_fallback(clean)}.{extension}"
    full = quote(f"{clean}.{extension}", safe="")
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{full}"
