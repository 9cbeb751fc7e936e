"""The wheel's zip (compiler/backends/wheel.py) is written by hand so that an entry can come
already compressed: `zipfile` must read back every entry as it was given."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from compiler.backends.wheel import Member, build_wheel, deflate, member, zip_archive


def test_a_zip_reads_back_with_zipfile_entry_by_entry(tmp_path: Path) -> None:
    files = {
        "pkg/a.py": b"print('a')\n" * 100,
        "pkg/empty": b"",
        "pkg/数据/名字.json": '{"名": 1}\n'.encode(),
    }
    kept = tmp_path / "kept.deflate"
    kept.write_bytes(deflate(b"kept on disk\n"))
    on_disk = member(b"kept on disk\n")
    members = {path: member(data) for path, data in files.items()}
    members["pkg/kept.txt"] = Member(on_disk.size, on_disk.crc, on_disk.sha256, str(kept))
    archive = zipfile.ZipFile(io.BytesIO(zip_archive(members)))
    assert archive.testzip() is None
    assert archive.namelist() == list(members)
    for path, data in {**files, "pkg/kept.txt": b"kept on disk\n"}.items():
        assert archive.read(path) == data
    for info in archive.infolist():
        assert info.date_time == (1980, 1, 1, 0, 0, 0)
        assert info.external_attr >> 16 == 0o100644
        assert info.compress_type == zipfile.ZIP_DEFLATED


def test_more_than_65535_entries_take_the_zip64_end_records() -> None:
    empty = member(b"")
    members = {f"f/{k}": empty for k in range(70_000)}
    archive = zipfile.ZipFile(io.BytesIO(zip_archive(members)))
    assert len(archive.infolist()) == 70_000
    assert archive.read("f/69999") == b""


def test_a_wheel_records_each_file_with_its_hash_and_size() -> None:
    wheel = build_wheel("demo", "1.0", "A demo", {"demo/__init__.py": b"X = 1\n"})
    archive = zipfile.ZipFile(io.BytesIO(wheel))
    record = archive.read("demo-1.0.dist-info/RECORD").decode()
    assert record.splitlines() == [
        "demo/__init__.py,sha256=Crrh4K5yghbuRJk8Wjp1X4scOH2Uf8TE9yyrDkqEIUs,6",
        f"demo-1.0.dist-info/METADATA,{_hash(archive, 'demo-1.0.dist-info/METADATA')}",
        f"demo-1.0.dist-info/WHEEL,{_hash(archive, 'demo-1.0.dist-info/WHEEL')}",
        "demo-1.0.dist-info/RECORD,,",
    ]
    assert build_wheel("demo", "1.0", "A demo", {"demo/__init__.py": b"X = 1\n"}) == wheel


def _hash(archive: zipfile.ZipFile, path: str) -> str:
    import base64
    import hashlib

    data = archive.read(path)
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest},{len(data)}"
