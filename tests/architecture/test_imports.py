"""The shape of the code: no import circles, imports run downward, one composition root.

Every import counts, including those inside functions and under TYPE_CHECKING: an import
buried in a function to dodge a circle is still a circle (STYLE.md, docs/architecture.md).
"""

from __future__ import annotations

import ast

from tests.architecture.imports import cycles, import_graph, module_files
from tests.architecture.layers import NAMES, layer_of

GRAPH = import_graph()


def test_the_graph_reads_the_whole_package():
    assert len(GRAPH) > 150
    assert "casework.core.settings" in GRAPH["casework.app"]


def test_no_module_imports_itself_back_through_others():
    assert cycles(GRAPH) == []


def test_imports_run_from_a_higher_layer_to_a_lower_one():
    upward = sorted(
        f"{module} ({NAMES[layer_of(module)]}) imports {target} ({NAMES[layer_of(target)]})"
        for module, targets in GRAPH.items() for target in targets
        if layer_of(target) > layer_of(module))
    assert upward == []


def test_only_the_entry_points_import_the_composition_root():
    importers = sorted(module for module, targets in GRAPH.items()
                       if "casework.bootstrap" in targets)
    assert importers
    assert all(module == "casework.app" or module.startswith("casework.cli.")
               for module in importers), importers


def test_no_private_name_is_imported_from_another_module():
    private = []
    for module, path in module_files().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("casework"):
                private += [f"{module} imports {node.module}.{alias.name}"
                            for alias in node.names
                            if alias.name.startswith("_") and not alias.name.startswith("__")]
    assert private == []


def test_settings_are_never_rewritten_while_running():
    """What is configured stays in Settings; what is possible now lives on the runtime."""
    rewrites = []
    for module, path in module_files().items():
        if module == "casework.core.settings":
            continue  # load_settings completes the object once, before anyone reads it
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Attribute) and node.attr == "model_copy") or (
                    isinstance(node, (ast.Assign, ast.AugAssign)) and any(
                        isinstance(target, ast.Attribute) and target.attr == "settings"
                        and not (isinstance(target.value, ast.Name)
                                 and target.value.id == "self")
                        for target in getattr(node, "targets", [getattr(node, "target",
                                                                        None)]))):
                rewrites.append(f"{module}:{node.lineno}")
    assert rewrites == []
