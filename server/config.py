"""The server's settings (`zir.*`, lsp.md §8.11): typed dataclasses, validation, output-path resolution.

An invalid value falls back to its default and is reported once (the caller shows one warning and logs it).
"""

from __future__ import annotations

import enum
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeVar

E = TypeVar("E", bound=enum.Enum)

DEFAULT_OUTPUT_PATH = "${workspaceFolder}/zig-out/bin/${fileBasenameNoExtension}"
"""Default output template: ``zig-out/bin/<stem>`` under the file's workspace folder (never outside it)."""


class OutputMode(enum.Enum):
    """What the build tier writes (`zir.build.outputMode`)."""

    EXE = "exe"
    """An executable (an exported ``_start`` is required)."""
    OBJ = "obj"
    """A relocatable object (no entry point required)."""


class OptimizeMode(enum.Enum):
    """`zir.build.optimizeMode`; the member names are Zig's spellings."""

    Debug = "Debug"
    """The default; the only mode the backend distinguishes today."""
    ReleaseSafe = "ReleaseSafe"
    """Optimised with safety checks."""
    ReleaseFast = "ReleaseFast"
    """Optimised for speed."""
    ReleaseSmall = "ReleaseSmall"
    """Optimised for size."""


class Trace(enum.Enum):
    """`zir.trace.server` (used by the client; the server only records it)."""

    OFF = "off"
    """No protocol tracing."""
    MESSAGES = "messages"
    """Trace message names."""
    VERBOSE = "verbose"
    """Trace messages with their payloads."""


@dataclass(frozen=True, slots=True)
class BuildSettings:
    """`zir.build.*`."""

    on_save: bool = True
    output_path: str = DEFAULT_OUTPUT_PATH
    output_mode: OutputMode = OutputMode.EXE
    optimize_mode: OptimizeMode = OptimizeMode.Debug
    allow_outside_workspace: bool = False
    """`zir.build.allowOutsideWorkspace` (machine scope): an output outside the workspace may be written."""


@dataclass(frozen=True, slots=True)
class DiagnosticSettings:
    """`zir.diagnostics.*`."""

    on_type: bool = True
    debounce_ms: float = 200.0


@dataclass(frozen=True, slots=True)
class RunSettings:
    """`zir.run.*` (the live run, docs/hot-swap.md)."""

    hot: bool = True
    """Swap each build into the running program; false: restart it on every committed build."""
    restart_when_swap_impossible: bool = True
    """Restart the program when a swap is impossible; false: it keeps running the old code."""


@dataclass(frozen=True, slots=True)
class InlayHintSettings:
    """`zir.inlayHints.*`."""

    enabled: bool = True
    """Show each `%` local's analysed type (and compile-time value) after its name."""


@dataclass(frozen=True, slots=True)
class Settings:
    """All `zir.*` settings the server acts on."""

    build: BuildSettings = field(default_factory=BuildSettings)
    diagnostics: DiagnosticSettings = field(default_factory=DiagnosticSettings)
    run: RunSettings = field(default_factory=RunSettings)
    trace: Trace = Trace.OFF
    inlay_hints: InlayHintSettings = field(default_factory=InlayHintSettings)

    def build_key(self) -> tuple[str, OutputMode, OptimizeMode]:
        """The settings whose change discards the build Modules (the next build opens the new output)."""
        return self.build.output_path, self.build.output_mode, self.build.optimize_mode


def _lookup(obj: Mapping[str, object], dotted: str) -> object | None:
    """``obj["build"]["onSave"]`` for ``"build.onSave"``; also accepts flat dotted keys."""
    if dotted in obj:
        return obj[dotted]
    node: object = obj
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def parse_settings(raw: object) -> tuple[Settings, list[str]]:
    """Settings from the `zir` section (a JSON object); returns them and one problem text per invalid value."""
    problems: list[str] = []
    obj: Mapping[str, object] = raw if isinstance(raw, Mapping) else {}
    if isinstance(obj.get("zir"), Mapping):  # a whole settings object rather than the section
        inner = obj["zir"]
        assert isinstance(inner, Mapping)
        obj = inner

    def get_bool(key: str, default: bool) -> bool:
        value = _lookup(obj, key)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        problems.append(f"zir.{key}: expected a boolean, got {value!r}; using {str(default).lower()}")
        return default

    def get_enum(key: str, enum_type: type[E], default: E) -> E:
        value = _lookup(obj, key)
        if value is None:
            return default
        for member in enum_type:
            if member.value == value:
                return member
        allowed = ", ".join(str(m.value) for m in enum_type)
        problems.append(f"zir.{key}: expected one of {allowed}, got {value!r}; using {default.value}")
        return default

    output_path = _lookup(obj, "build.outputPath")
    if output_path is None or output_path == "":
        output_path = DEFAULT_OUTPUT_PATH
    elif not isinstance(output_path, str):
        problems.append(f"zir.build.outputPath: expected a string, got {output_path!r}; using the default")
        output_path = DEFAULT_OUTPUT_PATH
    elif "\0" in output_path:  # no path holds one: every build and editor run raised ValueError on it
        problems.append("zir.build.outputPath: a path cannot contain a NUL character; using the default")
        output_path = DEFAULT_OUTPUT_PATH

    debounce = _lookup(obj, "diagnostics.debounceMs")
    debounce_ms = 200.0
    if debounce is not None:
        if isinstance(debounce, int | float) and not isinstance(debounce, bool) and 0 <= debounce <= 60_000:
            debounce_ms = float(debounce)
        else:
            problems.append(
                f"zir.diagnostics.debounceMs: expected a number from 0 to 60000, got {debounce!r}; using 200"
            )

    settings = Settings(
        build=BuildSettings(
            on_save=get_bool("build.onSave", True),
            output_path=output_path,
            output_mode=get_enum("build.outputMode", OutputMode, OutputMode.EXE),
            optimize_mode=get_enum("build.optimizeMode", OptimizeMode, OptimizeMode.Debug),
            allow_outside_workspace=get_bool("build.allowOutsideWorkspace", False),
        ),
        diagnostics=DiagnosticSettings(on_type=get_bool("diagnostics.onType", True), debounce_ms=debounce_ms),
        trace=get_enum("trace.server", Trace, Trace.OFF),
        run=RunSettings(
            hot=get_bool("run.hot", True),
            restart_when_swap_impossible=get_bool("run.restartWhenSwapImpossible", True),
        ),
        inlay_hints=InlayHintSettings(enabled=get_bool("inlayHints.enabled", True)),
    )
    return settings, problems


def workspace_folder_of(file_path: str, folders: list[str]) -> str | None:
    """The innermost workspace folder containing ``file_path``, if any."""
    best: str | None = None
    real = os.path.abspath(file_path)
    for folder in folders:
        root = os.path.abspath(folder)
        if (real == root or real.startswith(root.rstrip(os.sep) + os.sep)) and (best is None or len(root) > len(best)):
            best = root
    return best


def resolve_output_path(settings: BuildSettings, file_path: str, folders: list[str]) -> str:
    """The absolute output path for the root file ``file_path``.

    ``${workspaceFolder}`` is the innermost workspace folder containing the file, or the file's directory
    when it lies in none. A relative result is taken relative to that folder. The default template adds
    ``.o`` in object mode.
    """
    file_path = os.path.abspath(file_path)
    file_dir = os.path.dirname(file_path)
    stem = os.path.splitext(os.path.basename(file_path))[0]
    folder = workspace_folder_of(file_path, folders) or file_dir
    path = (
        settings.output_path.replace("${workspaceFolder}", folder)
        .replace("${fileDirname}", file_dir)
        .replace("${fileBasenameNoExtension}", stem)
    )
    path = os.path.expanduser(path)
    if not os.path.isabs(path):
        path = os.path.join(folder, path)
    if settings.output_path == DEFAULT_OUTPUT_PATH and settings.output_mode is OutputMode.OBJ:
        path += ".o"
    normal = os.path.normpath(path)
    # a path ending in "/" names a directory and is refused as one (docs/reliability.md §1); normalised
    # away, the build wrote a file of the directory's name
    return normal + os.sep if path.endswith(os.sep) and normal != os.sep else normal


def output_outside_workspace(
    settings: BuildSettings, output_path: str, file_path: str, folders: list[str]
) -> str | None:
    """The refusal message when ``output_path`` lies outside the folder the server may write in, else None.

    That folder is the innermost workspace folder containing ``file_path`` or, for a file in none, the file's
    own directory (docs/reliability.md). Symlinks are resolved, so a link inside pointing outside is outside.
    ``zir.build.allowOutsideWorkspace`` lifts the rule.
    """
    if settings.allow_outside_workspace:
        return None
    file_path = os.path.abspath(file_path)
    folder = os.path.realpath(workspace_folder_of(file_path, folders) or os.path.dirname(file_path))
    real = os.path.realpath(output_path)
    if real == folder or real.startswith(folder.rstrip(os.sep) + os.sep):
        return None  # the folder itself is inside: the build refuses it as a directory
    return (
        f"unable to write output '{output_path}': outside the workspace folder '{folder}' "
        "(zir.build.outputPath; set zir.build.allowOutsideWorkspace to allow it)"
    )
