"""Settings: defaults, validation with fallbacks, output-path templates kept inside the workspace."""

from __future__ import annotations

import os

from server.config import (
    BuildSettings,
    OptimizeMode,
    OutputMode,
    Settings,
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
