"""Attacks on issue 23 that need no services: files built to slip past the documents' content checks."""

from __future__ import annotations

import zlib

import pytest

from domain.documents import DocumentRefusedError
from services.documents import media_type_of

HEAD = b"%PDF-1.5\n1 0 obj <</Type /Catalog /OpenAction 2 0 R>> endobj\n"
TAIL = b"trailer <</Root 1 0 R>>\n%%EOF\n"
ACTION = b"<</S /JavaScript /JS (app.alert(1))>>"


def _object_stream(body: bytes, *, filters: bytes = b"/FlateDecode") -> bytes:
    text = b"2 0 " + body
    if b"/Predictor 12 /Columns 4" in filters:  # PNG rows of 4 bytes, each after its filter byte (0: none)
        text = b"".join(b"\x00" + text[i : i + 4] for i in range(0, len(text), 4))
    packed = zlib.compress(text) if b"Flate" in filters else body
    return (
        b"3 0 obj <</Type /ObjStm /N 1 /First 4 /Filter "
        + filters
        + b" /Length "
        + str(len(packed)).encode()
        + b">>\nstream\n"
        + packed
        + b"\nendstream\nendobj\n"
    )


@pytest.mark.parametrize(
    "pdf",
    [
        # a name may spell any of its characters as #xx: /J#61vaScript is /JavaScript to a reader
        HEAD + b"2 0 obj <</S /J#61vaScript /JS (app.alert(1))>> endobj\n" + TAIL,
        HEAD + b"2 0 obj <</S /#4C#61unch /F (cmd.exe)>> endobj\n" + TAIL,
        # PDF 1.5 object streams: the action's dictionary compressed, nothing of it in the file's bytes
        HEAD + _object_stream(ACTION) + TAIL,
        HEAD + _object_stream(ACTION, filters=b"[/FlateDecode]") + TAIL,
        # a predictor would interleave a byte every few through the inflated text: refused unread
        HEAD + _object_stream(ACTION, filters=b"/FlateDecode /DecodeParms <</Predictor 12 /Columns 4>>") + TAIL,
        # a filter the check does not undo: refused rather than let through unread
        HEAD + _object_stream(ACTION.hex().encode() + b">", filters=b"/ASCIIHexDecode") + TAIL,
    ],
    ids=[
        "name-escape-javascript",
        "name-escape-launch",
        "object-stream",
        "object-stream-array",
        "object-stream-predictor",
        "object-stream-hex",
    ],
)
def test_a_pdf_hiding_javascript_or_a_launch_from_the_check_is_refused(pdf: bytes) -> None:
    with pytest.raises(DocumentRefusedError) as refused:
        media_type_of(pdf, filename="scan.pdf", claimed="application/pdf")
    assert refused.value.field == "file"


def test_a_pdf_with_a_harmless_object_stream_is_kept() -> None:
    pdf = HEAD.replace(b" /OpenAction 2 0 R", b"") + _object_stream(b"<</Type /Page>>") + TAIL
    assert media_type_of(pdf, filename="scan.pdf", claimed="application/pdf") == "application/pdf"


def test_a_compressed_object_stream_that_inflates_without_end_is_refused_not_inflated_whole() -> None:
    bomb = zlib.compress(b"\x00" * (64 * 1024 * 1024), 9)  # about 64 KiB that inflate to 64 MiB
    pdf = (
        HEAD.replace(b" /OpenAction 2 0 R", b"")
        + b"3 0 obj <</Type /ObjStm /N 1 /First 4 /Filter /FlateDecode>>\nstream\n"
        + bomb
        + b"\nendstream\nendobj\n"
        + TAIL
    )
    with pytest.raises(DocumentRefusedError):
        media_type_of(pdf, filename="scan.pdf", claimed="application/pdf")
