"""The house rules of the package layout (README, "Architecture"): layers, a pure core, no import cycles.

The layer contracts themselves are import-linter's (``lint-imports`` in ``make lint``); these tests add what it
does not say: no cycle anywhere among rataura2's modules, counting imports inside functions.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp
import networkx as nx

ROOT = Path(__file__).resolve().parents[1]


def _import_graph() -> nx.DiGraph:
    graph = grimp.build_graph("rataura2", exclude_type_checking_imports=True)
    edges = nx.DiGraph()
    for module in graph.modules:
        edges.add_node(module)
        for imported in graph.find_modules_directly_imported_by(module):
            # a package's __init__ importing its own submodules is how packages re-export; not a cycle of logic
            if not imported.startswith(module + "."):
                edges.add_edge(module, imported)
    return edges


def test_no_import_cycle_among_modules() -> None:
    cycles = [sorted(c) for c in nx.strongly_connected_components(_import_graph()) if len(c) > 1]
    assert cycles == [], f"import cycles (type-only imports excluded): {cycles}"


def test_core_imports_no_database_and_no_livekit() -> None:
    graph = grimp.build_graph("rataura2", "sqlalchemy", "livekit", exclude_type_checking_imports=True)
    for forbidden in ("sqlalchemy", "livekit"):
        chain = graph.find_shortest_chain(importer="rataura2.core", imported=forbidden, as_packages=True)
        assert chain is None, f"rataura2.core reaches {forbidden}: {' -> '.join(chain or ())}"


def test_importing_the_core_loads_neither_sqlalchemy_nor_livekit() -> None:
    code = (
        "import sys; import rataura2.core.orchestrator, rataura2.core.conditions; "
        "print(sorted(m for m in ('sqlalchemy', 'livekit', 'livekit.agents') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_import_linter_contracts_hold() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint)], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "0 broken" in done.stdout
