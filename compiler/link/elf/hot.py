"""Hot-swap policy of the ELF linker: reserved room, quarantine of replaced blocks, held GOT slots, and the
record of what the committed updates changed for a running program (docs/design/elf-linker.md §17).

While a program built from the output runs (``HotState.running``), the linker never rewrites a function's
bytes in place: a function whose code changed gets a fresh block and its old block becomes a *ghost* that
keeps its place in the block list (so nothing is allocated over it) until the process side has seen no live
frame in it; a data decl that changed size moves the same way. Freed GOT slots are held, not reused. Each
write that must reach the running process is recorded by virtual address; ``take_patch`` turns the record into
a ``HotPatch`` (code first, GOT slots after) for ``compiler/hot``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from compiler.link import GOT_VADDR, TEXT_VADDR, DeclIndex
from compiler.link.elf.got import GotTable
from compiler.link.elf.text_blocks import TextBlock, TextBlockList
from compiler.link.pages import PagedBytes

TEXT_ROOM_MIN: Final = 1 << 20
"""Reserved room past the used ``.text`` in a hot build: at least 1 MiB. Every save while the program runs gives
each changed function a fresh block of 4/3 its size; 1 MiB holds thousands of saves of ordinary functions
before a restart is needed. The room is part of the text segment's *file* range (``p_filesz == p_memsz``, a
sparse stretch of the output), so the kernel maps it from the file, private and read-execute like the rest of
``.text`` (W^X); a ``p_memsz`` past ``p_filesz`` would be mapped anonymous read-write-execute. It is reserved
anew (moving ``.text`` if needed) when less than half of it is left."""
GOT_ROOM_MIN: Final = 1 << 16
"""Reserved room past the used GOT in a hot build: at least 64 KiB (8 192 slots), since freed slots are not
reused while the program runs and every new decl takes a new slot. It is ``p_memsz`` past ``p_filesz``: the
kernel maps it anonymous read-write (not executable), the file's GOT pages stay read-only."""


def reserved_memsz(filesz: int, minimum: int) -> int:
    """The reserved size of a hot segment (``p_memsz``; for the text segment also ``p_filesz``): the used size
    plus room equal to itself, at least ``minimum`` — a program that doubles its code while running needs a
    restart anyway."""
    return filesz + max(minimum, filesz)


@dataclass(slots=True, eq=False)
class Ghost:
    """The old place of a replaced block, kept in the block list until no frame is in it."""

    block: TextBlock
    """The placeholder linked where the old block was (same address and size)."""
    decl: DeclIndex
    name: str
    is_function: bool
    update: int
    """The linker's hot update counter when the ghost was made."""
    deleted: bool = False
    """The decl was deleted: its held GOT slot still points here, so old code may still call it; kept until
    the program restarts."""


@dataclass(frozen=True, slots=True)
class MemWrite:
    """Bytes for the running process at a virtual address."""

    vaddr: int
    data: bytes


@dataclass(frozen=True, slots=True)
class InPlacePatch:
    """A write into a live function block that stayed in place (an address of a moved data decl)."""

    start: int
    end: int
    """The holder function's block ``[start, end)``."""
    holder: str
    target: str


@dataclass(frozen=True, slots=True)
class HotPatch:
    """What the running process needs from the committed updates since the last ``take_patch``."""

    code: tuple[MemWrite, ...]
    """Text and data writes, by virtual address; applied before ``got``."""
    got: tuple[MemWrite, ...]
    """GOT slot values, one aligned 8-byte write each."""
    text_end: int
    """End address of the used ``.text`` (new blocks must lie below the running image's mapping end)."""
    got_end: int
    """End address of the used GOT."""
    entry: int
    """``e_entry`` of the output."""
    ghosts: tuple[tuple[int, int, str, bool, bool], ...]
    """Every current ghost: ``(vaddr, size, name, is_function, made_by_this_patch)``."""
    in_place: tuple[InPlacePatch, ...]
    """Writes into function blocks that a live frame may be executing."""
    replaced_functions: tuple[str, ...]
    """Functions that got a new block in these updates (the session compares their types)."""

    def bytes_total(self) -> int:
        return sum(len(w.data) for w in self.code) + sum(len(w.data) for w in self.got)


@dataclass(slots=True)
class HotState:
    """Per-linker hot-swap state (only in hot builds)."""

    text: TextBlockList
    """The linker's block list (ghosts live in it)."""
    got: GotTable
    """The linker's GOT (held slots return to its free list)."""
    running: bool = False
    """A program started from the output runs: no in-place function rewrites, no slot or ghost reuse."""
    ghosts: list[Ghost] = field(default_factory=list)
    held_got: list[int] = field(default_factory=list)
    """Slots freed while the program runs; they return to the free list when the program (re)starts."""
    text_writes: list[tuple[int, int]] = field(default_factory=list)
    """``(vaddr, length)`` of every text write since the last patch."""
    fresh: list[tuple[int, int]] = field(default_factory=list)
    """Blocks given a new place since the last patch (writes inside them cannot hit a live frame)."""
    patches: list[tuple[int, int, int, str, str]] = field(default_factory=list)
    """``(vaddr, block_start, block_end, holder, target)`` of relocation writes into placed holders."""
    got_writes: set[int] = field(default_factory=set)
    replaced: list[str] = field(default_factory=list)
    updates: int = 0
    """Patches taken so far (ghost age)."""

    # ------------------------------------------------------------------ linker hooks

    def must_move(self, old: bytes, code: bytes, is_function: bool) -> bool:
        """A placed block must go elsewhere while running: a function whose bytes changed (a frame may be
        executing them), a data decl whose size changed (the program may hold a pointer and a length)."""
        if not self.running:
            return False
        if is_function:
            return old != code
        return len(old) != len(code)

    def quarantine(
        self, decl: DeclIndex, name: str, block: TextBlock, is_function: bool, *, deleted: bool = False
    ) -> None:
        """Put a ghost where ``block`` is; ``block`` becomes unplaced (the caller allocates it anew)."""
        text = self.text
        ghost = TextBlock(vaddr=block.vaddr, size=block.size, prev=block.prev, next=block.next, is_placed=True)
        if block.prev is not None:
            block.prev.next = ghost
        else:
            text.first_text_block = ghost
        if block.next is not None:
            block.next.prev = ghost
        if text.last_text_block is block:
            text.last_text_block = ghost
        if block in text.free_list:
            text.free_list.remove(block)
        block.prev = block.next = None
        block.is_placed = False
        self.ghosts.append(Ghost(ghost, decl, name, is_function, self.updates, deleted))
        if is_function:
            self.replaced.append(name)

    def record_text(self, vaddr: int, length: int) -> None:
        if self.running and length:
            self.text_writes.append((vaddr, length))

    def record_fresh(self, block: TextBlock) -> None:
        if self.running:
            self.fresh.append((block.vaddr, block.vaddr + max(block.size, 1)))

    def record_patch(self, vaddr: int, holder: TextBlock, holder_name: str, target_name: str) -> None:
        if self.running:
            self.patches.append((vaddr, holder.vaddr, holder.vaddr + holder.size, holder_name, target_name))

    def record_got(self, index: int) -> None:
        if self.running:
            self.got_writes.add(index)

    def hold_slot(self, index: int) -> bool:
        """A freed slot while running: held (True) instead of going to the free list."""
        if not self.running:
            return False
        self.held_got.append(index)
        return True

    # ------------------------------------------------------------------ the process side

    def program_started(self) -> None:
        """A new process maps the whole current output: every ghost and held slot is free again."""
        for ghost in self.ghosts:
            self.text.free(ghost.block)
        self.ghosts = []
        self.got.free_list.extend(self.held_got)
        self.held_got = []
        self._clear_record()
        self.running = True

    def program_stopped(self) -> None:
        """No process runs the output any more (it exited or was killed)."""
        self.running = False

    def release(self, vaddrs: set[int]) -> None:
        """Free the function ghosts at ``vaddrs``: no frame was in them at a swap that unpublished them."""
        kept: list[Ghost] = []
        for ghost in self.ghosts:
            if ghost.is_function and not ghost.deleted and ghost.block.vaddr in vaddrs:
                self.text.free(ghost.block)
            else:
                kept.append(ghost)
        self.ghosts = kept

    def take_patch(
        self, image: bytearray | PagedBytes, text_offset: int, entry: int, pack_address: Callable[[int], bytes]
    ) -> HotPatch:
        """The writes recorded since the last patch, read from the linker's ``image`` (what was committed;
        ``.text`` starts at file offset ``text_offset``)."""
        ghost_ranges = sorted((g.block.vaddr, g.block.vaddr + g.block.size) for g in self.ghosts)
        code: list[MemWrite] = []
        for start, end in _subtract(_merge(self.text_writes), ghost_ranges):
            offset = text_offset + (start - TEXT_VADDR)
            code.append(MemWrite(start, bytes(image[offset : offset + (end - start)])))
        held = set(self.held_got)
        entries = self.got.entries
        got = tuple(
            MemWrite(self.got.address(i), pack_address(entries[i]))
            for i in sorted(self.got_writes)
            if i not in held and i < len(entries)
        )
        fresh = _merge([(a, b - a) for a, b in self.fresh])
        in_place = tuple(
            InPlacePatch(start, end, holder, target)
            for vaddr, start, end, holder, target in self.patches
            if not _inside(vaddr, fresh) and not _inside(vaddr, ghost_ranges)
        )
        patch = HotPatch(
            code=tuple(code),
            got=got,
            text_end=self.text.used_end(),
            got_end=GOT_VADDR + self.got.size(),
            entry=entry,
            ghosts=tuple(
                (g.block.vaddr, g.block.size, g.name, g.is_function, g.update == self.updates) for g in self.ghosts
            ),
            in_place=in_place,
            replaced_functions=tuple(dict.fromkeys(self.replaced)),
        )
        self.updates += 1
        self._clear_record()
        return patch

    def _clear_record(self) -> None:
        self.text_writes = []
        self.fresh = []
        self.patches = []
        self.got_writes = set()
        self.replaced = []


def _merge(writes: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """``(start, length)`` items → sorted, merged ``[start, end)`` ranges."""
    merged: list[tuple[int, int]] = []
    for start, length in sorted(writes):
        end = start + length
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _subtract(ranges: list[tuple[int, int]], holes: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """``ranges`` without the parts inside ``holes`` (both sorted ``[start, end)``)."""
    out: list[tuple[int, int]] = []
    for start, end in ranges:
        for h_start, h_end in holes:
            if h_end <= start or h_start >= end:
                continue
            if h_start > start:
                out.append((start, h_start))
            start = max(start, h_end)
            if start >= end:
                break
        if start < end:
            out.append((start, end))
    return out


def _inside(vaddr: int, ranges: list[tuple[int, int]]) -> bool:
    return any(a <= vaddr < b for a, b in ranges)
