"""Mutant enumeration on a module's AST.

Each mutant is one small change at one node, identified by the node's index in :func:`ast.walk`
order (deterministic for the same source) and a variant name. Applying a mutant re-parses the
source, finds the node again and changes it in place (or replaces it in its parent).

Operators (the classic set):

* ``binop``: ``+``↔``-``, ``*``↔``/``, ``//``→``/``, ``%``→``//``, ``|``↔``&``, ``**``→``*`` (also augmented
  assignments);
* ``compare``: ``<``↔``<=``, ``>``↔``>=``, ``==``↔``!=``, ``in``↔``not in``, ``is``↔``is not``;
* ``boolop``: ``and``↔``or``;
* ``not``: ``not x`` → ``x``;
* ``const``: numbers ``n`` → ``n + 1`` (and ``1`` → ``0``), ``True``↔``False``, strings → ``"XX…XX"``
  (empty string → ``"XX"``);
* ``cond``: the test of an ``if``/``elif``/conditional expression/``while``/comprehension filter
  negated;
* ``return``: ``return x`` → ``return None``;
* ``stmt``: an expression statement (a call for its effect) or a ``continue``/``break`` removed
  (``pass``); ``raise`` → ``pass``.

Not mutated: docstrings, annotations, ``__all__``, ``if TYPE_CHECKING`` blocks, logging calls.

Message-text classification: a string-constant mutant is *message text* when the string is part
of an f-string inside a ``raise`` statement or a logging call, or is itself an argument of the
raised exception's constructor (``raise X("…")``); a string handed to another call on the way
(``raise E(path, line_of(cond, "fact"), …)``) is data, not text. The reasons of a returned
``Issue(code, en, zh)`` (:data:`MESSAGE_CALLS`) are message text too; its code is data. Such mutants change only what a
message says; when they survive they are counted separately and left out of the score.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

_BINOP_SWAPS: dict[type, type] = {
    ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
    ast.FloorDiv: ast.Div, ast.Mod: ast.FloorDiv, ast.BitOr: ast.BitAnd, ast.BitAnd: ast.BitOr,
    ast.Pow: ast.Mult, ast.BitXor: ast.BitOr,
}
_CMP_SWAPS: dict[type, type] = {
    ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq, ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
}
_SYMBOL = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%",
           ast.BitOr: "|", ast.BitAnd: "&", ast.Pow: "**", ast.BitXor: "^", ast.Lt: "<", ast.LtE: "<=",
           ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=", ast.In: "in", ast.NotIn: "not in",
           ast.Is: "is", ast.IsNot: "is not", ast.And: "and", ast.Or: "or"}
_LOG_METHODS = {"debug", "info", "warning", "error", "exception", "critical", "warn"}
_LOG_NAMES = {"log", "logger", "logging", "LOG", "_log", "_logger", "warnings"}
#: Constructors of returned messages → positional arguments that are message text
#: (``Issue(code, en, zh)`` of :mod:`fingertip.identifiers`: the code is data, the two reasons text).
MESSAGE_CALLS: dict[str, tuple[int, ...]] = {"Issue": (1, 2)}


@dataclass(frozen=True, slots=True)
class Mutant:
    module: str
    index: int          # node index in ast.walk order
    variant: str        # operator-specific variant
    line: int
    col: int
    description: str
    message_text: bool  # a string constant inside a raise / logging call

    @property
    def key(self) -> str:
        return f"{self.module}:{self.line}:{self.col}:{self.variant}"


def _parents(tree: ast.AST) -> dict[int, ast.AST]:
    out: dict[int, ast.AST] = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            out[id(child)] = node
    return out


def _skipped_ids(tree: ast.AST) -> set[int]:  # noqa: C901 - one flat list of node kinds
    """Nodes never mutated: docstrings, annotations, __all__, TYPE_CHECKING blocks, logging calls."""
    skip: set[int] = set()

    def skip_all(node: ast.AST | None) -> None:
        if node is not None:
            skip.update(id(n) for n in ast.walk(node))

    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                    and isinstance(first.value.value, str):
                skip_all(first)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            skip_all(node.returns)
            for arg in (*node.args.args, *node.args.posonlyargs, *node.args.kwonlyargs,
                        node.args.vararg, node.args.kwarg):
                if arg is not None:
                    skip_all(arg.annotation)
        if isinstance(node, ast.AnnAssign):
            skip_all(node.annotation)
            if node.value is None:
                skip_all(node)
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            skip_all(node)
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            skip_all(node)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            skip_all(node)
        if _is_log_call(node):
            skip_all(node)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in {"TypeVar", "cast"}:
            skip_all(node)
    return skip


def _is_log_call(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
        return False
    if node.func.attr not in _LOG_METHODS:
        return False
    base = node.func.value
    return isinstance(base, ast.Name) and base.id in _LOG_NAMES


def _in_message(node: ast.AST, parents: dict[int, ast.AST]) -> bool:
    """A string that only makes up the text of an exception or log message.

    Inside an f-string of a ``raise``/logging call, or a direct argument of the exception's
    constructor. A string passed to another call on the way (``line_of(cond, "fact")``) is data.
    """
    cur: ast.AST | None = node
    child: ast.AST = node
    while cur is not None:
        parent = parents.get(id(cur))
        if isinstance(cur, ast.JoinedStr):
            if _fstring_message_arg(cur, parents):
                return True
            return _under_raise(cur, parents)
        if isinstance(cur, ast.Call):
            if isinstance(parent, ast.Raise) or _is_log_call(cur) or _is_message_arg(cur, child):
                return True
            return _inside_fstring_under_raise(cur, parents)  # ', '.join(…) inside a message f-string
        if isinstance(cur, ast.stmt):
            return False
        child, cur = cur, parent
    return False


def _is_message_arg(call: ast.Call, arg: ast.AST) -> bool:
    """``arg`` is a message position of a message-carrying constructor (:data:`MESSAGE_CALLS`)."""
    name = call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", None)
    positions = MESSAGE_CALLS.get(name or "")
    return bool(positions) and any(call.args[i] is arg for i in positions if i < len(call.args))


def _fstring_message_arg(node: ast.JoinedStr, parents: dict[int, ast.AST]) -> bool:
    parent = parents.get(id(node))
    return isinstance(parent, ast.Call) and _is_message_arg(parent, node)


def _inside_fstring_under_raise(node: ast.AST, parents: dict[int, ast.AST]) -> bool:
    cur = parents.get(id(node))
    while cur is not None and not isinstance(cur, ast.stmt):
        if isinstance(cur, ast.JoinedStr):
            return _under_raise(cur, parents)
        if isinstance(cur, ast.Call):
            return False
        cur = parents.get(id(cur))
    return False


def _under_raise(node: ast.AST, parents: dict[int, ast.AST]) -> bool:
    cur: ast.AST | None = node
    while cur is not None:
        if isinstance(cur, ast.Raise) or _is_log_call(cur):
            return True
        if isinstance(cur, ast.stmt):
            return False
        cur = parents.get(id(cur))
    return False


def _variants(node: ast.AST, parent: ast.AST | None) -> list[tuple[str, str]]:  # noqa: C901 - one flat list of node kinds
    """(variant, description) pairs for one node."""
    out: list[tuple[str, str]] = []
    if isinstance(node, (ast.BinOp, ast.AugAssign)) and type(node.op) in _BINOP_SWAPS:
        new = _BINOP_SWAPS[type(node.op)]
        out.append(("binop", f"{_SYMBOL[type(node.op)]} → {_SYMBOL[new]}"))
    elif isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            if type(op) in _CMP_SWAPS:
                out.append((f"compare{i}", f"{_SYMBOL[type(op)]} → {_SYMBOL[_CMP_SWAPS[type(op)]]}"))
    elif isinstance(node, ast.BoolOp):
        new_op = "or" if isinstance(node.op, ast.And) else "and"
        out.append(("boolop", f"{_SYMBOL[type(node.op)]} → {new_op}"))
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        out.append(("not", "not x → x"))
    elif isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool):
            out.append(("const", f"{value} → {not value}"))
        elif isinstance(value, int):
            out.append(("const", f"{value} → {value + 1}"))
            if value == 1:
                out.append(("const0", "1 → 0"))
        elif isinstance(value, float):
            out.append(("const", f"{value} → {value + 1}"))
        elif isinstance(value, str):
            out.append(("const", f"{value[:30]!r} → 'XX…XX'"))
    if isinstance(node, (ast.If, ast.While, ast.IfExp)):
        out.append(("cond", "condition negated"))
    if isinstance(node, ast.comprehension) and node.ifs:
        out.append(("cond", "comprehension filter negated"))
    if isinstance(node, ast.Return) and node.value is not None \
            and not (isinstance(node.value, ast.Constant) and node.value.value is None):
        out.append(("return", "return x → return None"))
    if isinstance(node, ast.Expr) and not isinstance(node.value, ast.Constant):
        out.append(("stmt", "statement removed"))
    if isinstance(node, (ast.Continue, ast.Break)):
        out.append(("stmt", f"{type(node).__name__.lower()} removed"))
    if isinstance(node, ast.Raise):
        out.append(("stmt", "raise removed"))
    return out


def enumerate_mutants(module: str, source: str) -> list[Mutant]:
    tree = ast.parse(source)
    parents = _parents(tree)
    skip = _skipped_ids(tree)
    out: list[Mutant] = []
    for index, node in enumerate(ast.walk(tree)):
        if id(node) in skip:
            continue
        parent = parents.get(id(node))
        for variant, desc in _variants(node, parent):
            message = (variant == "const" and isinstance(node, ast.Constant) and isinstance(node.value, str)
                       and _in_message(node, parents))
            line = getattr(node, "lineno", 0)
            col = getattr(node, "col_offset", 0)
            if isinstance(node, ast.comprehension):
                line, col = node.target.lineno, node.target.col_offset
            out.append(Mutant(module, index, variant, line, col, desc, message))
    return out


def _replace_child(parent: ast.AST, old: ast.AST, new: ast.AST) -> None:
    for field, value in ast.iter_fields(parent):
        if value is old:
            setattr(parent, field, new)
            return
        if isinstance(value, list):
            for i, item in enumerate(value):
                if item is old:
                    value[i] = new
                    return
    raise RuntimeError(f"node not found in its parent {type(parent).__name__}")


def _negate(expr: ast.expr) -> ast.expr:
    return ast.UnaryOp(op=ast.Not(), operand=expr)


def apply(source: str, mutant: Mutant) -> ast.Module:
    """The module's AST with ``mutant`` applied (ready for :func:`compile`)."""
    tree = ast.parse(source)
    nodes = list(ast.walk(tree))
    node = nodes[mutant.index]
    parents = _parents(tree)
    parent = parents.get(id(node))
    v = mutant.variant
    if v == "binop":
        assert isinstance(node, (ast.BinOp, ast.AugAssign))
        node.op = _BINOP_SWAPS[type(node.op)]()
    elif v.startswith("compare"):
        assert isinstance(node, ast.Compare)
        i = int(v[len("compare"):])
        node.ops[i] = _CMP_SWAPS[type(node.ops[i])]()
    elif v == "boolop":
        assert isinstance(node, ast.BoolOp)
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    elif v == "not":
        assert isinstance(node, ast.UnaryOp) and parent is not None
        _replace_child(parent, node, node.operand)
    elif v in ("const", "const0"):
        assert isinstance(node, ast.Constant)
        value = node.value
        if v == "const0":
            node.value = 0
        elif isinstance(value, bool):
            node.value = not value
        elif isinstance(value, (int, float)):
            node.value = value + 1
        elif isinstance(value, str):
            node.value = f"XX{value}XX"
    elif v == "cond":
        if isinstance(node, (ast.If, ast.While, ast.IfExp)):
            node.test = _negate(node.test)
        else:
            assert isinstance(node, ast.comprehension)
            node.ifs[0] = _negate(node.ifs[0])
    elif v == "return":
        assert isinstance(node, ast.Return)
        node.value = ast.Constant(value=None)
    elif v == "stmt":
        assert parent is not None
        _replace_child(parent, node, ast.Pass())
    else:
        raise ValueError(f"unknown variant {v!r}")
    return ast.fix_missing_locations(tree)
