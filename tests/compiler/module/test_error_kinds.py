"""Every reported error says what it is about (``ErrorKind``), so the CLI and the server never match message
text: a place in the program, the program as a whole, or the output file."""

from __future__ import annotations

from pathlib import Path

from compiler.compilation import Compilation, Options
from compiler.errors import ErrorKind
from compiler.link import OutputMode
from compiler.source import FileSource

EXIT0 = """@noreturn = primitive(noreturn)
@fnty = fntype([], @noreturn)
@_start = fn(@fnty, {
  %0 = unreachable()
})
@0 = str("_start")
@1 = export(@0, "_start")
"""


def _kinds(tmp_path: Path, text: str | None, output: str | None = None) -> list[tuple[str, ErrorKind]]:
    src = tmp_path / "k.zir"
    if text is not None:
        src.write_text(text)
    comp = Compilation(Options(str(src), output, OutputMode.EXE), FileSource(str(src)))
    comp.update()
    kinds = [(e.message.split(":")[0].split(" '")[0], e.kind) for e in comp.all_errors()]
    comp.close()
    return kinds


def test_a_place_in_the_program_is_a_source_error(tmp_path: Path) -> None:
    assert _kinds(tmp_path, EXIT0.replace("@fnty, {", "@nope, {")) == [("decl", ErrorKind.SOURCE)]  # not found
    assert [k for _, k in _kinds(tmp_path, "@a = ")] == [ErrorKind.SOURCE]  # a parse error


def test_the_program_as_a_whole_is_a_file_error(tmp_path: Path) -> None:
    assert _kinds(tmp_path, None) == [("unable to load source file", ErrorKind.FILE)]
    no_entry = EXIT0.replace('@1 = export(@0, "_start")\n', "")
    assert _kinds(tmp_path, no_entry) == [("no entry point found", ErrorKind.FILE)]


def test_an_unwritable_output_is_an_output_error(tmp_path: Path) -> None:
    (tmp_path / "blocked").write_text("a file where a directory should be")
    kinds = _kinds(tmp_path, EXIT0, str(tmp_path / "blocked" / "out"))
    assert kinds == [("unable to write output", ErrorKind.OUTPUT)]
