"""The packages inside ``lightship`` form no cycle: each uses only packages below it.

The import-linter contract (pyproject.toml, checked by test_static_checks.py) names the layers;
this test looks at the graph itself, as grimp (import-linter's graph builder) reads it, lazy
imports inside functions included, and names the cycle it finds.
"""

from __future__ import annotations

import grimp

ROOT = "lightship"


def package_edges(graph: grimp.ImportGraph, root: str) -> dict[str, set[str]]:
    """``{package: packages it imports}`` between the direct children of ``root`` (modules count as packages)."""
    edges: dict[str, set[str]] = {}
    for module in graph.modules:
        parts = module.split(".")
        if len(parts) < 2 or parts[0] != root:
            continue
        edges.setdefault(parts[1], set())
        for imported in graph.find_modules_directly_imported_by(module):
            other = imported.split(".")
            if len(other) >= 2 and other[0] == root and other[1] != parts[1]:
                edges[parts[1]].add(other[1])
    return edges


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle (``[a, b, ..., a]``) in the directed graph ``edges``, or None when it has none."""
    done: set[str] = set()
    path: list[str] = []
    on_path: set[str] = set()

    def visit(node: str) -> list[str] | None:
        path.append(node)
        on_path.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt in on_path:
                return path[path.index(nxt):] + [nxt]
            if nxt not in done:
                found = visit(nxt)
                if found:
                    return found
        on_path.discard(path.pop())
        done.add(node)
        return None

    for start in sorted(edges):
        if start not in done:
            found = visit(start)
            if found:
                return found
    return None


def test_find_cycle_names_a_cycle_and_accepts_a_layered_graph() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"top": {"middle", "bottom"}, "middle": {"bottom"}, "bottom": set()}) is None


def test_no_two_lightship_packages_use_each_other_even_through_others() -> None:
    edges = package_edges(grimp.build_graph(ROOT, cache_dir=None), ROOT)
    # A few known arrows, so the graph read is the real one (an empty graph has no cycle either).
    assert {"registry", "release", "monitoring"} <= edges["rollback"]
    assert "deployment" in edges["serving"] and "registry" in edges["training"]
    assert find_cycle(edges) is None, f"import cycle between lightship packages: {' -> '.join(find_cycle(edges) or [])}"
