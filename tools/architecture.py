"""Measure the runtime package against issue 31's acceptance list (an `ast` reading; nothing is imported or run).

    python tools/architecture.py [--json] [--list]

Prints one line a figure: import circles, imports that run up the layers, `_private` names imported across
modules, function-local imports of project modules, modules over MAX_MODULE_LINES lines, functions over
MAX_FUNCTION_LINES lines, public functions with more than MAX_PARAMETERS parameters, literal word lists inside
function bodies, module-level word lists outside `rag.lexicon`, what the answer stage imports from retrieval and the store beyond ANSWER_MAY_IMPORT, and
regexes compiled. --list names every offender. The layer of each module is LAYERS below: a
module may import its own layer and those under it.
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "rag"
MAX_MODULE_LINES = 450
MAX_FUNCTION_LINES = 60
MAX_PARAMETERS = 6
WORD_LIST_MIN = 3  # a tuple, list or set literal of this many strings or more is a word list
# What the answer stage may take from retrieval and the store: one documented search of its own, and the store's
# reading protocol with the one BM25 tokenizer (issue 31: "no retrieval of its own; storage only through IndexView").
# Module-level lists of identifiers, not of English words: field names, answer kinds, splits, parser labels.
IDENTIFIER_LISTS = {"KINDS", "METADATA_FIELDS", "FORM_FIELDS", "SPLITS", "SINGLE_FACT_KINDS", "VALUE_LABELS",
                    "_DROPPED_CHILDREN", "MODIFIER_DEPS", "SHARED_SUBJECT_DEPS", "TABLES"}
# The HTTP API's endpoints: Gradio makes each parameter a named field of /ask and /search (what curl, gradio_client
# and `rag ask --url` send), so there they are the wire format, not a signature an options object can shrink. They
# are counted apart (`endpoint_parameters`), not as offenders.
HTTP_ENDPOINTS = {"rag.handlers.ask", "rag.handlers.search"}
# "One word regex, one citation pattern, one stemmer" (issue 31): a regex that opens with a run of word characters
# splits text into words, and only rag.text may hold one (its tokenizers are built from its one word pattern); a
# citation marker "[n]" is matched only by text.CITATION_RE; a stemmer is text.light_stem, with BM25's Snowball
# (store.bm25, so queries and postings stem alike) apart.
WORD_PATTERN_OPENINGS = ("[^\\W", "[\\w", "\\w", "[a-z]", "[A-Za-z]", "[a-zA-Z]")
CITATION_PATTERN = "\\[(\\d"
ONE_WAY_HOME = "rag.text"
STEMMER_EXEMPT = {"rag.store.bm25"}
ANSWER_MAY_IMPORT = {"rag.retrieval": {"lookup_chunks"}, "rag.store": {"IndexView", "bm25_tokenize", "token_stopwords"}}

# Layers, bottom first (issue 31's text/lexicon -> model -> ingest/store -> enrich -> build, query, retrieval ->
# answer -> api -> app), as the modules are laid out today; a module not named takes its subpackage's layer.
LAYERS = {
    "rag.errors": 0, "rag.versions": 0, "rag.text": 0, "rag.lexicon": 0,
    "rag.model": 1, "rag.answer.model": 1,
    "rag.documents": 2, "rag.chunking": 2, "rag.store": 2,
    "rag.embedding": 3, "rag.enrich": 3, "rag.attribution": 3, "rag.distributed": 3, "rag.language": 3,
    "rag.build": 4, "rag.retrieval": 4, "rag.timeframe": 4, "rag.conversation": 4,
    "rag.answer": 5,
    "rag.engine": 6, "rag.options": 6, "rag.library": 6, "rag.remote": 6, "rag.local_llm": 6, "rag": 6,
    "rag.cli": 7, "rag.webapp": 7, "rag.handlers": 7, "rag.views": 7, "rag.evaluation": 7, "rag.metrics": 7, "rag.speaker_eval": 7,
}


def modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def layer(module: str) -> int | None:
    while module:
        if module in LAYERS:
            return LAYERS[module]
        module = module.rpartition(".")[0]
    return None


def resolve(module: str, is_package: bool, node: ast.ImportFrom | ast.Import, known: set[str]) -> list[str]:
    """The project modules an import statement names (a `from x import y` naming submodule y counts as x.y)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == "rag"]
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    if target.split(".")[0] != "rag":
        return []
    named = [f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in known]
    return named or [target]


def function_nodes(tree: ast.AST) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node


def word_lists(function: ast.AST) -> int:
    """Literal word lists under `function`: a tuple, list or set of WORD_LIST_MIN or more words, or a string of as
    many words split ("a b c".split()); `__all__` is names, not words."""
    count = 0
    for node in ast.walk(function):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            count -= word_lists(node.value)
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            strings = [e for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
            if len(strings) >= WORD_LIST_MIN and len(strings) == len(node.elts) and all(
                    s.value.replace("-", "").replace("'", "").isalpha() for s in strings) and not all(
                    s.value.isupper() for s in strings):  # spaCy's labels ("PERSON", "VERB") are not words
                count += 1
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "split"
              and not node.args and isinstance(node.func.value, ast.Constant) and isinstance(node.func.value.value, str)
              and len(node.func.value.value.split()) >= WORD_LIST_MIN):
            count += 1
    return count


def measure() -> dict:
    found = modules()
    known = set(found)
    graph: dict[str, set[str]] = {m: set() for m in found}
    offenders: dict[str, list[str]] = {k: [] for k in (
        "up_arrows", "private_imports", "local_imports", "long_modules", "long_functions", "many_parameters",
        "word_lists_in_functions", "word_lists_outside_lexicon", "answer_reaches", "endpoint_parameters",
        "word_patterns_outside_text", "citation_patterns_outside_text", "stemmers_outside_text")}
    regexes = 0
    for module, path in found.items():
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        lines = len(source.splitlines())
        if lines > MAX_MODULE_LINES:
            offenders["long_modules"].append(f"{module} ({lines})")
        is_package = path.name == "__init__.py"
        top_level = set(map(id, tree.body))
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            targets = resolve(module, is_package, node, known)
            if not targets:
                continue
            if isinstance(node, ast.ImportFrom) and module.startswith("rag.answer"):
                allowed = next((names for target, names in ANSWER_MAY_IMPORT.items() if targets[0].startswith(target)), None)
                offenders["answer_reaches"] += [f"{module} -> {targets[0]}.{a.name}" for a in node.names
                                                if allowed is not None and a.name not in allowed]
            if isinstance(node, ast.ImportFrom):
                offenders["private_imports"] += [f"{module}: {a.name}" for a in node.names
                                                 if a.name.startswith("_") and not a.name.startswith("__")]
            in_function = id(node) not in top_level and not _guarded(tree, node)
            for target in targets:
                if in_function:
                    offenders["local_imports"].append(f"{module}:{node.lineno} -> {target}")
                    continue  # a local import is counted there, not as an edge of the module graph
                if target != module:
                    graph[module].add(target)
                low, high = layer(module), layer(target)
                if low is not None and high is not None and high > low:
                    offenders["up_arrows"].append(f"{module} -> {target}")
        for function in function_nodes(tree):
            length = (function.end_lineno or function.lineno) - function.lineno + 1
            if length > MAX_FUNCTION_LINES:
                offenders["long_functions"].append(f"{module}.{function.name} ({length})")
            args = function.args
            names = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs if a.arg not in ("self", "cls")]
            if not function.name.startswith("_") and len(names) > MAX_PARAMETERS:
                where = "endpoint_parameters" if f"{module}.{function.name}" in HTTP_ENDPOINTS else "many_parameters"
                offenders[where].append(f"{module}.{function.name} ({len(names)})")
            lists = word_lists(function)
            if lists and not module.startswith("rag.lexicon"):
                offenders["word_lists_in_functions"].append(f"{module}.{function.name} ({lists})")
        outside = word_lists(tree) - sum(word_lists(f) for f in tree.body
                                          if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                                          or _assigns(f) & IDENTIFIER_LISTS)
        if outside and not module.startswith("rag.lexicon"):
            offenders["word_lists_outside_lexicon"].append(f"{module} ({outside})")
        regexes += source.count("re.compile(")
        if module != ONE_WAY_HOME:
            for node in ast.walk(tree):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    if node.value.startswith(WORD_PATTERN_OPENINGS):
                        offenders["word_patterns_outside_text"].append(f"{module}:{node.lineno} {node.value[:30]!r}")
                    if CITATION_PATTERN in node.value:
                        offenders["citation_patterns_outside_text"].append(f"{module}:{node.lineno}")
            if module not in STEMMER_EXEMPT:
                offenders["stemmers_outside_text"] += [f"{module}.{f.name}" for f in function_nodes(tree)
                                                      if "stem" in f.name.lower().split("_")]
    cycles = circles(graph)
    figures = {"modules": len(found), "import_circles": len(cycles),
               **{k: len(v) for k, v in offenders.items()}, "regexes_compiled": regexes}
    return {"figures": figures, "circles": cycles, **offenders}


def _assigns(node: ast.AST) -> set[str]:
    """The names a module-level assignment binds."""
    targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
    return {t.id for t in targets if isinstance(t, ast.Name)}


def _guarded(tree: ast.Module, node: ast.AST) -> bool:
    """An import under a module-level `if TYPE_CHECKING:` or `try:` is a module-level import."""
    for top in tree.body:
        if isinstance(top, (ast.If, ast.Try)) and any(n is node for n in ast.walk(top)):
            return True
    return False


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for v in graph:
        if v not in index:
            visit(v)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--list", action="store_true", help="name every offender")
    args = parser.parse_args(argv)
    result = measure()
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    for name, value in result["figures"].items():
        print(f"{name}: {value}")
    if args.list:
        for name, items in result.items():
            if name != "figures" and items:
                print(f"\n{name}:")
                for item in items:
                    print(f"  {item}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
