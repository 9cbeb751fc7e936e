"""A wheel of the generated package, written directly (a wheel is a zip with three metadata
files), so agencies can install the validators offline with nothing but pip:

    pip install --no-index build/validators/dist/policyc_validators-*.whl

Deterministic: fixed timestamps and permissions, files in sorted order.
"""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from collections.abc import Mapping

_EPOCH = (1980, 1, 1, 0, 0, 0)
_TAG = "py3-none-any"


def wheel_name(distribution: str, version: str) -> str:
    return f"{distribution}-{version}-{_TAG}.whl"


def build_wheel(distribution: str, version: str, summary: str, files: Mapping[str, bytes]) -> bytes:
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
    contents = dict(sorted(files.items()))
    contents[f"{info}/METADATA"] = metadata
    contents[f"{info}/WHEEL"] = wheel
    record = "".join(f"{path},{_digest(data)},{len(data)}\n" for path, data in contents.items())
    contents[f"{info}/RECORD"] = (record + f"{info}/RECORD,,\n").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in contents.items():
            entry = zipfile.ZipInfo(path, date_time=_EPOCH)
            entry.external_attr = 0o644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, data)
    return buffer.getvalue()


def _digest(data: bytes) -> str:
    raw = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
