"""Settings: defaults, validation with fallbacks, output-path templates kept inside the workspace."""

from __future__ import annotations

import os

from server.config import (
    BuildSettings,
    OptimizeMode,
    OutputMode,
    Settings,
    output_outside_workspace,
    parse_settings,
    resolve_output_path,
)


def test_defaults() -> None:
    settings, problems = parse_settings(None)
    assert problems == []
    assert settings == Settings()
    assert settings.build.on_save is True
    assert settings.diagnostics.debounce_ms == 200.0
    assert settings.diagnostics.on_type is True


def test_nested_and_whole_objects() -> None:
    raw = {
        "build": {"onSave": False, "outputMode": "obj", "optimizeMode": "ReleaseFast"},
        "diagnostics": {"debounceMs": 0},
    }
    settings, problems = parse_settings(raw)
    assert problems == []
    assert settings.build.on_save is False
    assert settings.build.output_mode is OutputMode.OBJ
    assert settings.build.optimize_mode is OptimizeMode.ReleaseFast
    assert settings.diagnostics.debounce_ms == 0.0
    assert parse_settings({"zir": raw})[0] == settings


def test_invalid_values_fall_back_with_one_problem_each() -> None:
    settings, problems = parse_settings(
        {"build": {"onSave": "yes", "outputMode": "dll"}, "diagnostics": {"debounceMs": -5}}
    )
    assert settings == Settings()
    assert len(problems) == 3
    assert any("zir.build.onSave" in p for p in problems)
    assert any("zir.build.outputMode" in p for p in problems)
    assert any("zir.diagnostics.debounceMs" in p for p in problems)


def test_default_output_is_under_the_workspace_folder(tmp_path: os.PathLike[str]) -> None:
    root = str(tmp_path)
    src = os.path.join(root, "src", "hello.zir")
    assert resolve_output_path(BuildSettings(), src, [root]) == os.path.join(root, "zig-out", "bin", "hello")
    obj = BuildSettings(output_mode=OutputMode.OBJ)
    assert resolve_output_path(obj, src, [root]) == os.path.join(root, "zig-out", "bin", "hello.o")
    # Outside every workspace folder: the file's own directory plays the folder.
    lone = os.path.join(root, "elsewhere", "x.zir")
    assert resolve_output_path(BuildSettings(), lone, []) == os.path.join(root, "elsewhere", "zig-out", "bin", "x")


def test_templates_and_relative_paths(tmp_path: os.PathLike[str]) -> None:
    root = str(tmp_path)
    src = os.path.join(root, "a", "prog.zir")
    beside = BuildSettings(output_path="${fileDirname}/${fileBasenameNoExtension}")
    assert resolve_output_path(beside, src, [root]) == os.path.join(root, "a", "prog")
    relative = BuildSettings(output_path="out/${fileBasenameNoExtension}.elf")
    assert resolve_output_path(relative, src, [root]) == os.path.join(root, "out", "prog.elf")


def test_an_output_path_with_a_nul_falls_back_to_the_default() -> None:
    """Every build and every editor run raised ``ValueError: embedded null byte`` on it (the editor tier's task
    died with it, and the document got no diagnostics any more)."""
    settings, problems = parse_settings({"build": {"outputPath": "out\0x"}})
    assert settings == Settings()
    assert problems == ["zir.build.outputPath: a path cannot contain a NUL character; using the default"]


def test_an_output_path_ending_in_a_slash_stays_a_directory(tmp_path: os.PathLike[str]) -> None:
    """``zig-out/bin/`` names a directory: the build refuses it as one (docs/reliability.md §1), as ``zir build
    -o zig-out/bin/`` does. Normalised to ``zig-out/bin``, the server wrote its executable as a file ``bin``."""
    root = str(tmp_path)
    src = os.path.join(root, "prog.zir")
    directory = BuildSettings(output_path="zig-out/bin/")
    assert resolve_output_path(directory, src, [root]) == os.path.join(root, "zig-out", "bin") + os.sep
    assert resolve_output_path(BuildSettings(output_path="/"), src, [root]) == os.sep
    assert resolve_output_path(BuildSettings(output_path="x//y/./"), src, [root]) == os.path.join(root, "x", "y/")


def test_the_workspace_folder_itself_is_not_outside_it(tmp_path: os.PathLike[str]) -> None:
    """``outputPath: "."`` names the folder: the build refuses it as a directory, not as a path outside the folder
    (which the message said)."""
    root = str(tmp_path)
    src = os.path.join(root, "prog.zir")
    for template in (".", "${workspaceFolder}"):
        settings = BuildSettings(output_path=template)
        output = resolve_output_path(settings, src, [root])
        assert output == os.path.normpath(root)
        assert output_outside_workspace(settings, output, src, [root]) is None
    parent = BuildSettings(output_path="..")
    assert output_outside_workspace(parent, resolve_output_path(parent, src, [root]), src, [root]) is not None
