"""Size, row and expansion limits of every input, and zip archives read within them (docs/input.md).

The CLI and the service read people files, workbooks and scenario archives through the same functions with
the same limits (the service passes its settings), so both refuse the same files with the same messages.
Sizes are checked before anything is read; zip members are decompressed as streams with a running count
that stops at the limit, whatever sizes the archive declares.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any, Literal, cast

from planner.io.input_errors import InputIssue, InputTooLarge, ScenarioInputError

MiB = 1024 * 1024


@dataclass(frozen=True)
class InputLimits:
    """Limits of one read; the defaults are the service's default settings."""

    max_file_bytes: int = 20 * MiB  # a people file, a scenario archive, or a people file inside one
    max_expanded_bytes: int = 100 * MiB  # everything a workbook or archive decompresses to, together
    max_rows: int = 200_000  # data rows of a people table
    max_zip_members: int = 50  # files in a scenario archive
    max_workbook_parts: int = 500  # parts of an XLSX workbook
    max_yaml_bytes: int = 5 * MiB  # scenario.yaml, a variant, a sweep or an events file


DEFAULT_LIMITS = InputLimits()


def mib(size: int) -> str:
    """`20 MiB`, `1.5 MiB`, or KiB below one MiB."""
    if size < MiB:
        return f"{size / 1024:.0f} KiB"
    value = size / MiB
    return f"{value:.0f} MiB" if value.is_integer() or value >= 10 else f"{value:.1f} MiB"


def too_large(filename: str, limit: int) -> InputTooLarge:
    """The one message for a file over the size limit (the service uses it for uploads too)."""
    return InputTooLarge([InputIssue(filename, None, "(file)",
                                     f"the file is larger than the limit of {limit} bytes ({mib(limit)})")])


def expands_too_much(filename: str, limit: int) -> InputTooLarge:
    return InputTooLarge([InputIssue(filename, None, "(file)",
                                     f"the file expands to more than {mib(limit)}; the limit is {mib(limit)}")])


def check_size(filename: str, size: int, limit: int) -> None:
    if size > limit:
        raise too_large(filename, limit)


class ExpansionBudget:
    """Decompressed bytes left for one archive, shared by all its members."""

    def __init__(self, filename: str, limit: int):
        self.filename = filename
        self.limit = limit
        self.left = limit

    def spend(self, size: int) -> None:
        self.left -= size
        if self.left < 0:
            raise expands_too_much(self.filename, self.limit)


class _Counted(io.RawIOBase):
    """A zip member stream that charges every byte it returns to the archive's budget."""

    def __init__(self, stream: IO[bytes], budget: ExpansionBudget):
        self._stream = stream
        self._budget = budget

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:  # everything, but still chunk by chunk against the budget
            chunks = []
            while chunk := self.read(1 << 16):
                chunks.append(chunk)
            return b"".join(chunks)
        data = self._stream.read(size)
        self._budget.spend(len(data))
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)

    def close(self) -> None:
        self._stream.close()
        super().close()


class BoundedZip(zipfile.ZipFile):
    """A ZipFile whose member streams stop at the archive's expansion budget (ignoring declared sizes)."""

    budget: ExpansionBudget

    def open(self, name: str | zipfile.ZipInfo, mode: Literal["r", "w"] = "r", pwd: bytes | None = None, *,
             force_zip64: bool = False) -> IO[bytes]:
        stream = super().open(name, mode, pwd, force_zip64=force_zip64)
        if mode != "r":
            return stream
        # a raw binary stream is what ZipFile.open's callers read (read, readinto, close); typeshed's IO[bytes]
        # also lists text-file methods no reader of a member calls
        return cast(IO[bytes], _Counted(stream, self.budget))


#: What reading a damaged member raises; reported as a damaged archive, never as an internal error.
UNPACK_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError,
                 ValueError)


def open_zip(source: bytes | Path, filename: str, limits: InputLimits, *, what: str, max_members: int
             ) -> BoundedZip:
    """Open an archive with a decompression budget; refuse it early when its declared sizes or member count
    are over the limits. `what` names the kind of file in messages (`XLSX workbook`, `zip archive`)."""
    try:
        archive = BoundedZip(io.BytesIO(source) if isinstance(source, bytes) else source)
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, NotImplementedError):
        raise ScenarioInputError([InputIssue(filename, None, "(file)", f"not a valid {what}")]) from None
    archive.budget = ExpansionBudget(filename, limits.max_expanded_bytes)
    members = archive.infolist()
    if len(members) > max_members:
        archive.close()
        raise ScenarioInputError([InputIssue(filename, None, "(file)",
                                             f"holds {len(members)} files; the limit is {max_members}")])
    if sum(i.file_size for i in members) > limits.max_expanded_bytes:
        archive.close()
        raise expands_too_much(filename, limits.max_expanded_bytes)
    return archive


def read_member(archive: BoundedZip, name: str, filename: str, limit: int) -> bytes:
    """A member's bytes, at most `limit` of them (and within the archive's budget), read as a stream."""
    chunks: list[bytes] = []
    size = 0
    try:
        with archive.open(name) as stream:
            while chunk := stream.read(1 << 16):
                size += len(chunk)
                if size > limit:
                    raise too_large(name, limit)
                chunks.append(chunk)
    except ScenarioInputError:
        raise
    except UNPACK_ERRORS:
        raise ScenarioInputError([InputIssue(filename, None, name[:200],
                                             "the archive is damaged: this member cannot be unpacked")]) from None
    return b"".join(chunks)


def unsafe_member(info: zipfile.ZipInfo) -> str | None:
    """Why an archive member may not be used (absolute path, `..`, backslash, drive, link), or None."""
    name = info.filename
    if "\\" in name or name.startswith("/") or ":" in name.split("/", 1)[0] or "\x00" in name:
        return "has an unsafe path"
    if ".." in PurePosixPath(name).parts:
        return "has an unsafe path"
    if (info.external_attr >> 16) & 0o170000 == 0o120000:
        return "is a link; archives may hold plain files only"
    return None
