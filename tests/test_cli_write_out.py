"""`--out` or standard output, the same way for every export command (`planner.cli.common.write_out`)."""

from pathlib import Path

import pytest

from planner.cli.common import write_out


@pytest.mark.parametrize("data", ["Flight,Seat\nF1,1A\n", b"PK\x03\x04binary"])
def test_a_file_is_written_whole_and_named(tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes],
                                           data: str | bytes) -> None:
    target = tmp_path / "out.file"
    assert write_out(str(target), data) is True
    assert (target.read_bytes() if isinstance(data, bytes) else target.read_text(encoding="utf-8")) == data
    assert [p.name for p in tmp_path.iterdir()] == ["out.file"]  # no temporary file left behind
    assert capsysbinary.readouterr().out == b""  # the command says where, not this helper


@pytest.mark.parametrize("out", [None, ""])
def test_without_out_the_data_goes_to_standard_output(capsysbinary: pytest.CaptureFixture[bytes],
                                                      out: str | None) -> None:
    assert write_out(out, "Zoë,1\n") is False
    assert write_out(out, b"\x00\x01") is False
    assert capsysbinary.readouterr().out == "Zoë,1\n".encode() + b"\x00\x01"
