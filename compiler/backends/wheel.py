"""A wheel of the generated package, written directly (a wheel is a zip with three metadata
files), so agencies can install the validators offline with nothing but pip:

    pip install --no-index build/validators/dist/policyc_validators-*.whl

Deterministic: fixed timestamps and permissions, files in sorted order.

The zip is written here, not with `zipfile`, for one reason: an entry can be given already
compressed (a `Member`).  A build through the cache (compiler/rebuild.py) keeps each generated
file's deflate stream beside it, so that the wheel of thousands of policies after an edit of
one is a concatenation, not the compression of a gigabyte again; `zipfile` only writes entries
it compresses itself.  What is written is the plain zip of PKWARE's APPNOTE (local headers, the
central directory, the end record; the ZIP64 end records only when there are more than 65,535
entries or the archive passes 4 GiB), read back by `zipfile` and installed by pip in the tests.
"""

from __future__ import annotations

import base64
import hashlib
import io
import struct
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

_TAG: Final = "py3-none-any"
# 1980-01-01 00:00:00, the earliest a zip can say, in MS-DOS form: time 0, date (0 << 9) |
# (1 << 5) | 1.
_DOS_TIME: Final = 0
_DOS_DATE: Final = 0x21
_DEFLATED: Final = 8
_VERSION: Final = 20  # "2.0": deflate
_VERSION_ZIP64: Final = 45
_MADE_BY: Final = (3 << 8) | _VERSION  # 3: Unix (external attributes are Unix modes)
_MODE: Final = 0o100644 << 16  # a regular file, rw-r--r--
_UTF8: Final = 0x800  # general purpose flag 11: the name is UTF-8
_LIMIT: Final = 0xFFFFFFFF


@dataclass(frozen=True)
class Member:
    """One file of the wheel as a zip entry needs it: its size, CRC-32 and SHA-256 (RECORD),
    and its raw deflate stream, in memory or in a file (the build cache's pack: from `start`,
    `length` bytes)."""

    size: int
    crc: int
    sha256: bytes
    deflated: bytes | str  # the stream, or the path of a file holding it
    start: int = 0  # where the stream begins in that file
    length: int = -1  # how long it is there (-1: to the file's end)

    def compressed(self) -> bytes:
        if isinstance(self.deflated, bytes):
            return self.deflated
        with open(self.deflated, "rb") as stream:
            if self.start:
                stream.seek(self.start)
            data = stream.read(self.length)
        if self.length >= 0 and len(data) != self.length:
            raise OSError(f"{self.deflated}: cut short (a deflate stream of the build cache)")
        return data


# zlib's level 5, not its default 6 (zipfile's): half the time for a wheel 3 % larger.  The
# project's generated modules, SQL and schemas (4.27 MB): level 6 75.9 ms, 11.63 % of the
# size; level 5 35.5 ms, 11.97 %; level 4 25.9 ms, 12.72 %.  Deflate was 7.9 % of the CPU of
# a first build of 600 jurisdictions (benchmarks/README.md, eleventh round).
_LEVEL: Final = 5


def deflate(data: bytes) -> bytes:
    """The raw deflate stream of `data` (`_LEVEL`)."""
    compressor = zlib.compressobj(_LEVEL, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


def member(data: bytes) -> Member:
    return Member(len(data), zlib.crc32(data), hashlib.sha256(data).digest(), deflate(data))


def wheel_name(distribution: str, version: str) -> str:
    return f"{distribution}-{version}-{_TAG}.whl"


def build_wheel(
    distribution: str, version: str, summary: str, files: Mapping[str, bytes | Member]
) -> bytes:
    """`files`: the package's files by path inside the wheel (e.g. `policyc_validators/x.py`)."""
    info = f"{distribution}-{version}.dist-info"
    metadata = (
        "Metadata-Version: 2.1\n"
        f"Name: {distribution}\n"
        f"Version: {version}\n"
        f"Summary: {summary}\n"
        "Requires-Python: >=3.11\n"
    ).encode()
    wheel = (
        f"Wheel-Version: 1.0\nGenerator: policyc\nRoot-Is-Purelib: true\nTag: {_TAG}\n"
    ).encode()
    contents = {p: f if isinstance(f, Member) else member(f) for p, f in sorted(files.items())}
    contents[f"{info}/METADATA"] = member(metadata)
    contents[f"{info}/WHEEL"] = member(wheel)
    record = "".join(f"{path},{_digest(m.sha256)},{m.size}\n" for path, m in contents.items())
    contents[f"{info}/RECORD"] = member((record + f"{info}/RECORD,,\n").encode())
    return zip_archive(contents)


def _digest(sha256: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(sha256).rstrip(b"=").decode()


def zip_archive(members: Mapping[str, Member]) -> bytes:
    """A zip of `members` in their order, each deflated, dated 1980-01-01, mode 0644."""
    out = io.BytesIO()
    central: list[bytes] = []
    for path, entry in members.items():
        name = path.encode()
        flags = 0 if name.isascii() else _UTF8
        data = entry.compressed()
        offset = out.tell()
        # The sizes in a local header never pass 4 GiB (a generated file is far smaller);
        # only the offset of an entry in a large archive needs ZIP64, in the central record.
        if max(entry.size, len(data)) > _LIMIT:
            raise ValueError(f"{path}: a file of 4 GiB or more is not a generated file")
        # What the local header and the central record both say, from "flags" to the name's
        # length (APPNOTE 4.3.7 and 4.3.12).
        common = (flags, _DEFLATED, _DOS_TIME, _DOS_DATE, entry.crc, len(data), entry.size)
        out.write(struct.pack("<IH4HIIIHH", 0x04034B50, _VERSION, *common, len(name), 0))
        out.write(name)
        out.write(data)
        extra = b""
        if offset > _LIMIT:
            extra = struct.pack("<HHQ", 0x0001, 8, offset)
        needed = _VERSION_ZIP64 if extra else _VERSION
        central.append(
            struct.pack("<IHH4HIIIHH", 0x02014B50, _MADE_BY, needed, *common, len(name), len(extra))
            # comment length, disk, internal attributes, external attributes, offset
            + struct.pack("<HHHII", 0, 0, 0, _MODE, min(offset, _LIMIT))
            + name
            + extra
        )
    start = out.tell()
    for record in central:
        out.write(record)
    size = out.tell() - start
    count = len(central)
    if count > 0xFFFF or start > _LIMIT or size > _LIMIT:
        end64 = out.tell()
        out.write(
            struct.pack(
                "<IQHHIIQQQQ",
                0x06064B50,
                44,  # the size of the rest of this record
                (3 << 8) | _VERSION_ZIP64,
                _VERSION_ZIP64,
                0,
                0,
                count,
                count,
                size,
                start,
            )
        )
        out.write(struct.pack("<IIQI", 0x07064B50, 0, end64, 1))
    out.write(
        struct.pack(
            "<IHHHHIIH",
            0x06054B50,
            0,
            0,
            min(count, 0xFFFF),
            min(count, 0xFFFF),
            min(size, _LIMIT),
            min(start, _LIMIT),
            0,
        )
    )
    return out.getvalue()
