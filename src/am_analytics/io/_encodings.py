"""Telling the text encoding of a CSV file: UTF-8 (with or without BOM), UTF-16 or GB18030."""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Final

from ..errors import InputFileError

_SNIFF_BYTES: Final = 1 << 16
_SCAN_CHUNK: Final = 1 << 23


def detect_encoding(path: Path) -> str:
    """The text encoding of a CSV file: utf-8, utf-8-sig, utf-16 or gb18030.

    Byte-order marks decide at once. Otherwise the file is scanned for its first
    non-ASCII bytes, which are tried as UTF-8 and then as GB18030 (a superset of
    GBK and GB2312).

    Raises
    ------
    InputFileError
        The file is empty, binary, or in none of those encodings.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "clients.csv"
    >>> _ = path.write_bytes("客户编号,负责人\\nC1,M1\\n".encode("gbk"))
    >>> detect_encoding(path)
    'gb18030'
    """
    with _open_bytes(path) as handle:
        head = handle.read(_SNIFF_BYTES)
        if not head.strip(b" \r\n\t\xef\xbb\xbf"):
            raise InputFileError(
                f"{path.name} is empty; export the table again with its header row",
                source=path.name,
            )
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        if b"\x00" in head:
            raise InputFileError(
                f"{path.name} is not a text file (it holds NUL bytes); "
                "check that it is the CSV export and not a workbook or an archive",
                source=path.name,
            )
        chunk = head
        while chunk:
            if not chunk.isascii():
                return _utf8_or_gb18030(chunk + handle.read(4), path)
            chunk = handle.read(_SCAN_CHUNK)
    return "utf-8"


def _open_bytes(path: Path):  # type: ignore[no-untyped-def]
    """Open a possibly compressed file for reading bytes."""
    name = path.name.lower()
    if name.endswith(".gz"):
        import gzip

        return gzip.open(path, "rb")
    if name.endswith(".bz2"):
        import bz2

        return bz2.open(path, "rb")
    return path.open("rb")


def _utf8_or_gb18030(chunk: bytes, path: Path) -> str:
    """Decide between UTF-8 and GB18030 on a chunk holding non-ASCII bytes.

    A chunk that is mostly UTF-8 but holds bytes that are not mixes two
    encodings: it is an error naming the place, not a guess. (GBK text has
    stray byte pairs that happen to be UTF-8, hence "mostly".)
    """
    for encoding in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(chunk, final=False)
        except UnicodeDecodeError:
            if encoding == "utf-8" and _mostly_utf8(chunk):
                raise _not_utf8(path) from None
            continue
        return encoding
    raise InputFileError(
        f"{path.name} is neither UTF-8 nor GBK/GB18030 text; "
        "save it again as CSV UTF-8 (Excel: Save As > CSV UTF-8)",
        source=path.name,
    )


def _mostly_utf8(chunk: bytes) -> bool:
    """Whether more non-ASCII characters decode as UTF-8 than fail to."""
    text = chunk.decode("utf-8", errors="replace")
    failed = text.count("\ufffd")
    ascii_chars = len(text.encode("ascii", errors="ignore"))
    return len(text) - ascii_chars - failed > failed


def _not_utf8(path: Path) -> InputFileError:
    """The error for a UTF-8 file with bytes that are not UTF-8: which line, which byte."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    consumed = lines = 0
    with _open_bytes(path) as handle:
        while chunk := handle.read(_SCAN_CHUNK):
            pending = decoder.getstate()[0]
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                data = pending + chunk
                offset = consumed - len(pending) + exc.start
                line = lines + data.count(b"\n", 0, exc.start) + 1
                text = data[data.rfind(b"\n", 0, exc.start) + 1 :].split(b"\n", 1)[0]
                break
            consumed += len(chunk)
            lines += chunk.count(b"\n")
        else:
            return InputFileError(f"{path.name} is not valid UTF-8 text", source=path.name)
    try:
        shown = f"; as GBK/GB18030 it reads {text.decode('gb18030').strip()[:80]!r}"
    except UnicodeDecodeError:
        shown = ""
    return InputFileError(
        f"{path.name} is UTF-8 text, but line {line} (byte offset {offset}) is not UTF-8{shown}. "
        "A file in two encodings cannot be read safely (a line saved as GBK in a UTF-8 "
        "export?): fix that line, or save the whole file again as CSV UTF-8",
        source=path.name,
    )
