"""Test helpers: compile ZIR text through the public Compilation API (null linker) and render errors."""

from __future__ import annotations

from compiler.compilation import Compilation, Options, UpdateReport
from compiler.link import OutputMode
from compiler.link.null import NullLinker
from compiler.source import BufferSource, LineIndex


class Session:
    """One long-lived Compilation over an in-memory buffer, as an editor or `zir watch` keeps it."""

    def __init__(self, text: str = "", *, obj: bool = True) -> None:
        mode = OutputMode.OBJ if obj else OutputMode.EXE
        self.source = BufferSource("test.zir", text.encode())
        self.comp = Compilation(Options("test.zir", None, mode), self.source, NullLinker(mode))

    def update(self, text: str | None = None) -> UpdateReport:
        if text is not None:
            self.source.text = text.encode()
        report = self.comp.update()
        assert report.error_count == len(self.comp.all_errors()) == self.comp.total_error_count()
        return report

    def errors(self) -> list[str]:
        """Errors in the conformance form ``:LINE:COL: error: MSG`` (all_errors() order)."""
        return [e.render("") for e in self.comp.all_errors()]

    def emit(self) -> str:
        return self.comp.emit_zir().decode()

    def names(self) -> list[str]:
        return [d.name for d in self.comp.decls()]


def compile_errors(text: str, *, obj: bool = True) -> list[str]:
    s = Session(text, obj=obj)
    s.update()
    return s.errors()


def pos(text: str, needle: str, *, after: bool = True, nth: int = 0) -> str:
    """``:LINE:COL`` of ``needle`` (its end when ``after``) in ``text``; ``nth`` picks a later occurrence."""
    i = -1
    for _ in range(nth + 1):
        i = text.index(needle, i + 1)
    offset = i + len(needle) if after else i
    line, col = LineIndex(text.encode()).position(offset)
    return f":{line + 1}:{col + 1}"
