"""Inlay hints of ``%`` locals (lsp.md §9): each local's analysed type, and its compile-time value where known.

The facts come from the editor Compilation (``backend.EditorCompilation.decl_locals``), asked only for the
function decls in the requested range. Each decl's facts carry the exact text they were analysed from and are
shown only while the document's decl still reads the same, so an edited function shows no stale types (its
hints come back with the next analysis, announced by ``workspace/inlayHint/refresh``). The last facts read are
kept per document, so a request never queues behind an analysis that is running.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from server.backend import DeclLocals, LocalFact
from server.outline import DocOutline
from server.positions import LspLineIndex
from server.syntax import OutlineDecl

if TYPE_CHECKING:
    from server.server import ZirLanguageServer
    from server.session import Session

MAX_VALUE = 48
"""A compile-time value longer than this is cut (with ``…``) in a hint; hover shows it whole."""
_SHOWN_BY_ITS_TEXT = frozenset({"int", "str", "primitive", "float"})
"""Instructions whose value is their own literal: a value hint would repeat the text."""
_NO_TYPE_HINT = frozenset({"void", "noreturn"})
"""Types that say nothing about a local (``store``, ``return``, ``dbg_stmt``...)."""

Facts = dict[str, dict[str, LocalFact]]
"""Decl name → ``%`` name (no sigil) → its facts."""


class LocalFacts:
    """The last analysed facts read per document and decl (read on the editor thread, used on the loop)."""

    def __init__(self) -> None:
        self._cache: dict[str, dict[str, DeclLocals]] = {}

    def forget(self, uri: str) -> None:
        """Drop a closed document's facts."""
        self._cache.pop(uri, None)

    async def facts(
        self, server: ZirLanguageServer, session: Session, outline: DocOutline, decls: list[OutlineDecl]
    ) -> Facts:
        """The facts of ``decls`` that still describe their text in ``outline``.

        While the editor thread analyses, the cached facts answer at once; otherwise the editor Compilation is
        asked for the function decls among ``decls`` (work proportional to those decls)."""
        cache = self._cache.setdefault(session.uri, {})
        busy = session.editor_task is not None and not session.editor_task.done()
        wanted = [d.name for d in decls if d.tag == "fn"]
        if wanted and not busy:
            editor = session.editor

            def query() -> list[DeclLocals]:
                return [] if editor is None else editor.decl_locals(wanted)

            for found in await server.documents.run_editor(query):
                cache[found.name] = found
        out: Facts = {}
        for d in decls:
            known = cache.get(d.name)
            if known is not None and d.end >= 0 and known.text == outline.data[d.def_start : d.end]:
                out[d.name] = {fact.name: fact for fact in known.locals}
        return out


def _clip(text: str) -> str:
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def _position(index: LspLineIndex, offset: int) -> types.Position:
    line, character = index.position(offset)
    return types.Position(line=line, character=character)


def inlay_hints(
    outline: DocOutline, index: LspLineIndex, decls: list[OutlineDecl], facts: Facts, lo: int, hi: int
) -> list[types.InlayHint]:
    """``: T`` after each ``%name`` defined in ``[lo, hi)``, and ``= value`` after its instruction when the
    value is compile-time known and not just the instruction's own literal."""
    hints: list[types.InlayHint] = []
    for d in decls:
        known = facts.get(d.name)
        if known is None:
            continue
        for local in d.locals:
            fact = known.get(local.name)
            if fact is None or not lo <= local.def_start < hi:
                continue
            if fact.type_text not in _NO_TYPE_HINT:
                name_end = local.def_start + 1 + len(local.name.encode("utf-8", "surrogateescape"))
                hints.append(
                    types.InlayHint(
                        position=_position(index, name_end),
                        label=f": {fact.type_text}",
                        kind=types.InlayHintKind.Type,
                    )
                )
            if fact.value_text is not None and local.tag not in _SHOWN_BY_ITS_TEXT and local.end >= 0:
                hints.append(
                    types.InlayHint(
                        position=_position(index, local.end),
                        label=f"= {_clip(fact.value_text)}",
                        padding_left=True,
                        tooltip=f"compile-time value of %{local.name}",
                    )
                )
    return hints


def announce(server: ZirLanguageServer, *, force: bool = False) -> None:
    """New analysis results exist (or ``force``: the setting changed): ask the client to request inlay hints
    again, when it supports that."""
    if not (force or server.documents.settings.inlay_hints.enabled):
        return
    try:
        workspace = server.client_capabilities.workspace
    except (AttributeError, RuntimeError):  # before initialize
        return
    if workspace is not None and workspace.inlay_hint is not None and workspace.inlay_hint.refresh_support:
        server.workspace_inlay_hint_refresh(None)
