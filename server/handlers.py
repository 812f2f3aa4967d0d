"""Language-feature handlers (lsp.md §9): translate params, ask ``features`` over the session's outline, translate back.

Every answer comes from the incrementally maintained outline (``server.outline``) and a line index spliced per
edit, so a request right after a keystroke costs work proportional to what it looks at, not to the file.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from lsprotocol import types
from pygls.exceptions import JsonRpcException

from server import actions, features, inlay, navigation, wholedoc
from server import completion as complete
from server import hover as hovering
from server.backend import DeclInfo
from server.jsonout import EncodedJson
from server.outline import DocOutline
from server.positions import LspLineIndex, line_index
from server.session import Session

T = TypeVar("T")

REQUEST_FAILED = -32803
"""LSP ``RequestFailed``: the request was valid but cannot be carried out (the message says why)."""

if TYPE_CHECKING:
    from server.server import ZirLanguageServer


def register(server: ZirLanguageServer) -> None:
    """Register hover, definition, references, rename, completion, signature help, symbols, folding, semantic
    tokens, formatting, code lens, document highlight and declaration."""

    warmed: set[str] = set()
    """Documents whose whole-document parts were computed ahead once (``wholedoc.warm``)."""
    last_info: dict[tuple[str, str], DeclInfo | None] = {}
    """Hover facts last read per (uri, decl), answered while the editor thread is busy with a newer text."""
    local_facts = server.local_facts

    async def off_loop(job: Callable[[DocOutline, LspLineIndex], T], outline: DocOutline, index: LspLineIndex) -> T:
        """Run a whole-document feature on the default executor over a snapshot, so the loop keeps serving."""
        return await asyncio.get_running_loop().run_in_executor(None, job, outline, index)

    async def context(uri: str) -> tuple[Session, DocOutline, LspLineIndex] | None:
        """The session, its outline and a line index over the outline's text (the newest text)."""
        session = server.session(uri)
        if session is None:
            return None
        outline = await session.outline()
        return session, outline, line_index(outline.data, server.encoding())

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    async def hover(params: types.HoverParams) -> types.Hover | None:
        ctx = await context(params.text_document.uri)
        if ctx is None:
            return None
        session, outline, index = ctx
        offset = features.offset_of(index, params.position)
        found = features.symbol_at(outline, offset)
        info = None
        stale = False
        if found is not None and found[0] == "@":
            key = (session.uri, found[1])
            busy = session.editor_task is not None and not session.editor_task.done()
            if busy and key in last_info:  # the editor thread is analysing the edit: do not queue behind it
                info, stale = last_info[key], True
            else:
                info = last_info[key] = await server.documents.decl_info(session, found[1])
                outline = await session.outline()  # an edit may have arrived meanwhile: answer for the newest text
                index = line_index(outline.data, server.encoding())
                offset = features.offset_of(index, params.position)
        local = None
        if found is not None and found[0] == "%" and found[2] is not None:
            scope = found[2]
            local = (await local_facts.facts(server, session, outline, [scope])).get(scope.name, {}).get(found[1])
        result = hovering.hover(outline, index, offset, info, local)
        if stale and result is not None and isinstance(result.contents, types.MarkupContent):
            result.contents.value += "\n\n*(from the analysis before the last edit)*"
        return result

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    async def document_symbol(params: types.DocumentSymbolParams) -> list[Any] | EncodedJson:
        ctx = await context(params.text_document.uri)
        if ctx is None:
            return []
        snapshot = ctx[1].snapshot()
        symbols = await off_loop(wholedoc.document_symbols, snapshot, ctx[2])
        if ctx[0].uri not in warmed:  # the first outline of a document: prepare folding meanwhile
            warmed.add(ctx[0].uri)
            warming = asyncio.get_running_loop().run_in_executor(None, wholedoc.warm, snapshot, ctx[2])
            warming.add_done_callback(lambda f: f.cancelled() or f.exception())  # a failure: the request computes
        return symbols

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    async def definition(params: types.DefinitionParams) -> list[types.Location]:
        ctx = await context(params.text_document.uri)
        if ctx is None:
            return []
        session, outline, index = ctx
        return features.definition(outline, index, session.uri, features.offset_of(index, params.position))

    @server.feature(types.TEXT_DOCUMENT_DECLARATION)
    async def declaration(params: types.DeclarationParams) -> list[types.Location]:
        """ZIR has no separate declarations: a name's declaration is its definition."""
        ctx = await context(params.text_document.uri)
        if ctx is None:
            return []
        session, outline, index = ctx
        return features.definition(outline, index, session.uri, features.offset_of(index, params.position))

    @server.feature(types.TEXT_DOCUMENT_REFERENCES)
    async def references(params: types.ReferenceParams) -> list[types.Location]:
        ctx = await context(params.text_document.uri)
        if ctx is None:
            return []
        session, outline, index = ctx
        offset = features.offset_of(index, params.position)
        include = params.context.include_declaration
        return features.references(outline, index, session.uri, offset, include)

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_HIGHLIGHT)
    async def document_highlight(params: types.DocumentHighlightParams) -> list[types.DocumentHighlight]:
        ctx = await context(params.text_document.uri)
        if ctx is None:
            return []
        _, outline, index = ctx
        return features.document_highlights(outline, index, features.offset_of(index, params.position))

    @server.feature(types.TEXT_DOCUMENT_PREPARE_RENAME)
    async def prepare_rename(params: types.PrepareRenameParams) -> types.Range | None:
        ctx = await context(params.text_document.uri)
        if ctx is None:
            return None
        _, outline, index = ctx
        try:
            return features.prepare_rename(outline, index, features.offset_of(index, params.position))
        except features.RenameRefused as exc:
            raise JsonRpcException(str(exc), code=REQUEST_FAILED) from None

    @server.feature(types.TEXT_DOCUMENT_RENAME)
    async def rename(params: types.RenameParams) -> types.WorkspaceEdit | None:
        ctx = await context(params.text_document.uri)
        if ctx is None:
            return None
        session, outline, index = ctx
        offset = features.offset_of(index, params.position)
        try:
            return features.rename(outline, index, session.uri, offset, params.new_name)
        except features.RenameRefused as exc:
            raise JsonRpcException(str(exc), code=REQUEST_FAILED) from None

    @server.feature(
        types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=["@", "%", "=", ",", "("])
    )
    async def completion(params: types.CompletionParams) -> types.CompletionList:
        ctx = await context(params.text_document.uri)
        if ctx is None:
            return types.CompletionList(is_incomplete=False, items=[])
        _, outline, index = ctx
        doc_caps = server.client_capabilities.text_document
        item_caps = doc_caps.completion.completion_item if doc_caps and doc_caps.completion else None
        snippets = bool(item_caps and item_caps.snippet_support)
        return complete.completion(outline, index, features.offset_of(index, params.position), snippets)

    @server.feature(types.TEXT_DOCUMENT_SIGNATURE_HELP, types.SignatureHelpOptions(trigger_characters=["(", ","]))
    async def signature_help(params: types.SignatureHelpParams) -> types.SignatureHelp | None:
        ctx = await context(params.text_document.uri)
        if ctx is None:
            return None
        _, outline, index = ctx
        return complete.signature_help(outline, features.offset_of(index, params.position))

    tokens_sent: dict[str, tuple[str, wholedoc.TokenData]] = {}
    """The last full semantic tokens per URI and their result id (the base of the next delta; its parts are
    shared with the outline's chunks)."""

    async def full_tokens(uri: str, outline: DocOutline, index: LspLineIndex) -> tuple[str, wholedoc.TokenData]:
        """Full semantic tokens of the outline's text, remembered as the base of the next delta."""
        data = await off_loop(wholedoc.semantic_tokens, outline.snapshot(), index)
        result_id = str(uuid.uuid4())
        tokens_sent[uri] = (result_id, data)
        return result_id, data

    async def encoded(result_id: str, data: wholedoc.TokenData) -> EncodedJson:
        """``SemanticTokens`` as JSON text (written off the loop: 10⁶–10⁷ integers at N = 100 000)."""
        return await asyncio.get_running_loop().run_in_executor(None, data.encode, result_id)

    tokens_options = types.SemanticTokensRegistrationOptions(
        legend=features.LEGEND, full=types.SemanticTokensFullDelta(delta=True), range=True
    )

    @server.feature(types.TEXT_DOCUMENT_SEMANTIC_TOKENS_FULL, tokens_options)
    async def semantic_tokens(params: types.SemanticTokensParams) -> types.SemanticTokens | EncodedJson:
        ctx = await context(params.text_document.uri)
        return (
            types.SemanticTokens(data=[])
            if ctx is None
            else await encoded(*await full_tokens(ctx[0].uri, ctx[1], ctx[2]))
        )

    @server.feature(types.TEXT_DOCUMENT_SEMANTIC_TOKENS_FULL_DELTA)
    async def semantic_tokens_delta(
        params: types.SemanticTokensDeltaParams,
    ) -> types.SemanticTokens | types.SemanticTokensDelta | EncodedJson:
        ctx = await context(params.text_document.uri)
        if ctx is None:
            return types.SemanticTokens(data=[])
        previous = tokens_sent.get(ctx[0].uri)
        result_id, data = await full_tokens(ctx[0].uri, ctx[1], ctx[2])
        if previous is None or previous[0] != params.previous_result_id:
            return await encoded(result_id, data)
        loop = asyncio.get_running_loop()  # parts shared at both ends are skipped; the rest is compared off the loop
        edits = await loop.run_in_executor(None, wholedoc.tokens_delta, previous[1], data)
        return types.SemanticTokensDelta(edits=edits, result_id=result_id)

    @server.feature(types.TEXT_DOCUMENT_SEMANTIC_TOKENS_RANGE)
    async def semantic_tokens_range(params: types.SemanticTokensRangeParams) -> types.SemanticTokens:
        ctx = await context(params.text_document.uri)
        if ctx is None:
            return types.SemanticTokens(data=[])
        _, outline, index = ctx
        lo = features.offset_of(index, params.range.start)
        hi = features.offset_of(index, params.range.end)
        return features.semantic_tokens(outline, index, lo, hi)

    @server.feature(types.TEXT_DOCUMENT_FOLDING_RANGE)
    async def folding_range(params: types.FoldingRangeParams) -> list[Any] | EncodedJson:
        ctx = await context(params.text_document.uri)
        return [] if ctx is None else await off_loop(wholedoc.folding_ranges, ctx[1].snapshot(), ctx[2])

    @server.feature(types.TEXT_DOCUMENT_FORMATTING)
    async def formatting(params: types.DocumentFormattingParams) -> list[types.TextEdit]:
        ctx = await context(params.text_document.uri)
        if ctx is None:
            return []
        session, outline, index = ctx
        loop = asyncio.get_running_loop()
        # Off the loop, on the default executor: the document's format cache has its own lock.
        return await loop.run_in_executor(None, features.formatting, session.formats, outline.data, index)

    @server.feature(types.TEXT_DOCUMENT_CODE_LENS)
    async def code_lens(params: types.CodeLensParams) -> list[types.CodeLens]:
        ctx = await context(params.text_document.uri)
        if ctx is None or ctx[0].path is None:
            return []
        return features.code_lenses(ctx[1], ctx[2], ctx[0].uri)

    @server.feature(types.TEXT_DOCUMENT_SELECTION_RANGE)
    async def selection_range(params: types.SelectionRangeParams) -> list[types.SelectionRange]:
        ctx = await context(params.text_document.uri)
        if ctx is None:
            return []
        _, outline, index = ctx
        return [navigation.selection_ranges(outline, index, features.offset_of(index, p)) for p in params.positions]

    @server.feature(types.TEXT_DOCUMENT_LINKED_EDITING_RANGE)
    async def linked_editing_range(params: types.LinkedEditingRangeParams) -> types.LinkedEditingRanges | None:
        ctx = await context(params.text_document.uri)
        if ctx is None:
            return None
        _, outline, index = ctx
        return navigation.linked_editing(outline, index, features.offset_of(index, params.position))

    @server.feature(types.WORKSPACE_SYMBOL)
    async def workspace_symbol(params: types.WorkspaceSymbolParams) -> list[types.SymbolInformation]:
        docs = []
        for uri in list(server.documents.sessions):
            ctx = await context(uri)
            if ctx is not None:
                docs.append((uri, ctx[1], ctx[2]))
        return navigation.workspace_symbols(docs, params.query)

    @server.feature(types.TEXT_DOCUMENT_PREPARE_CALL_HIERARCHY)
    async def prepare_call_hierarchy(params: types.CallHierarchyPrepareParams) -> list[types.CallHierarchyItem] | None:
        ctx = await context(params.text_document.uri)
        if ctx is None:
            return None
        session, outline, index = ctx
        return navigation.prepare_call_hierarchy(
            outline, index, session.uri, features.offset_of(index, params.position)
        )

    @server.feature(types.CALL_HIERARCHY_INCOMING_CALLS)
    async def incoming_calls(params: types.CallHierarchyIncomingCallsParams) -> list[types.CallHierarchyIncomingCall]:
        ctx = await context(params.item.uri)
        if ctx is None:
            return []
        session, outline, index = ctx
        return navigation.incoming_calls(outline, index, session.uri, params.item.name.removeprefix("@"))

    @server.feature(types.CALL_HIERARCHY_OUTGOING_CALLS)
    async def outgoing_calls(params: types.CallHierarchyOutgoingCallsParams) -> list[types.CallHierarchyOutgoingCall]:
        ctx = await context(params.item.uri)
        if ctx is None:
            return []
        session, outline, index = ctx
        return navigation.outgoing_calls(outline, index, session.uri, params.item.name.removeprefix("@"))

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix])
    )
    async def code_action(params: types.CodeActionParams) -> list[types.CodeAction]:
        ctx = await context(params.text_document.uri)
        if ctx is None:
            return []
        session, outline, index = ctx
        found = actions.quick_fixes(outline, index, session.uri, list(params.context.diagnostics))
        found += actions.create_decl(outline, index, session.uri, list(params.context.diagnostics))
        offset = features.offset_of(index, params.range.start)
        found += actions.canonical_spelling(outline, index, session.uri, offset)
        return found + actions.remove_unused(outline, index, session.uri, offset)

    @server.feature(types.TEXT_DOCUMENT_INLAY_HINT, types.InlayHintOptions(resolve_provider=False))
    async def inlay_hint(params: types.InlayHintParams) -> list[types.InlayHint]:
        """Types and compile-time values of the ``%`` locals in the requested (visible) range only."""
        if not server.documents.settings.inlay_hints.enabled:
            return []
        ctx = await context(params.text_document.uri)
        if ctx is None:
            return []
        session, outline, index = ctx
        lo = features.offset_of(index, params.range.start)
        hi = features.offset_of(index, params.range.end)
        decls = list(outline.decls_in(lo, hi))
        facts = await local_facts.facts(server, session, outline, decls)
        return inlay.inlay_hints(outline, index, decls, facts, lo, hi)
