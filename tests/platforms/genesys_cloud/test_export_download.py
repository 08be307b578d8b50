"""An export download that is not what the platform promises (a zip of UTF-8 Archy files, or one file)
is the platform's error naming the export, never a traceback (archctl drift/export show it)."""

from __future__ import annotations

import io
import zipfile

import pytest

from provider.errors import ArchitectError
from provider.platforms.genesys_cloud import _proxy


class _Fixed(_proxy.GenesysCloudProxy):  # no connection: only the download's bytes matter here
    def __init__(self, raw: bytes) -> None:
        self.raw = raw

    def download_raw(self, url: str) -> bytes:
        return self.raw


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def _corrupt_deflate() -> bytes:
    """A zip whose one member's compressed bytes are damaged (its headers intact)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Main IVR.yaml", b"inboundCall:\n  name: Main IVR\n" * 50)
    raw = bytearray(out.getvalue())
    start = 30 + len("Main IVR.yaml")  # the local header, then the member's data
    raw[start : start + 8] = b"\xff" * 8
    return bytes(raw)


def test_a_zip_of_archy_files_is_read_by_flow_name() -> None:
    raw = _zip({"export/Main IVR.yaml": b"inboundCall: {}\n", "export/Billing.yaml": b"inqueueCall: {}\n"})
    assert _Fixed(raw).download_files("/dl/1") == {
        "Main IVR": "inboundCall: {}\n",
        "Billing": "inqueueCall: {}\n",
    }


@pytest.mark.parametrize(
    "raw, said",
    [
        (b"PK\x03\x04 truncated", "not a readable zip"),
        (_corrupt_deflate(), "not a readable zip"),
        (_zip({"Main IVR.yaml": b"\xff\xfe not utf-8"}), "not UTF-8 text"),
        (b"\xff\xfe not utf-8 either", "not UTF-8 text"),
    ],
)
def test_a_broken_download_is_one_platform_error_naming_the_export(raw: bytes, said: str) -> None:
    with pytest.raises(ArchitectError) as failed:
        _Fixed(raw).download_files("https://api.example/downloads/abc?token=x")
    assert said in str(failed.value) and "/downloads/abc" in str(failed.value)
    assert "token=x" not in str(failed.value)  # the presigned query stays out of messages
