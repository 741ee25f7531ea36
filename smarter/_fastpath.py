"""Speed tricks, fenced: generated structure functions and the JSON scanner shortcut.

Everything here exists only because a benchmark showed it pays, and each trick says which.
Nothing here decides policy: what a field accepts, its wire names and its checks come from
:mod:`smarter._converter`, which is also where a body that does not fit is explained.

**Generated structure functions** (benchmarks/stream.py: half the cost of a stream chunk;
benchmarks/async_json.py). cattrs' generated function calls the class with keyword
arguments, and a frozen attrs ``__init__`` sets each slot through ``object.__setattr__``.
The function generated here makes the object as an instance of a *builder*: a subclass with
no slots of its own and the plain ``object.__setattr__``, whose slots plain assignments fill
(the interpreter's fastest store, where a slot descriptor's ``__set__`` is a call); the
object then becomes a *cls* by ``__class__`` assignment, which the identical layout allows.
The common leaf checks are written inline. That skips ``__init__``, so the class must not
need it: :func:`check_contract` asserts, when a function is generated, that the class is a
slotted attrs class whose fields have no validator, no converter and no ``on_setattr`` hook,
that it has no ``__attrs_post_init__``, and that a builder's object becomes one. A class
that breaks the contract fails loudly the first time it is structured, never silently. (A
builder is a real subclass: ``cls.__subclasses__()`` lists it. An object left half-built by
a body that does not fit is still a builder's, seen only by a debugger's view of the
failed frame.)

**The JSON shortcuts** (benchmarks/stream.py, per event; benchmarks/async_json.py, per
call): :func:`loads_json` calls the C scanner behind ``json.loads`` directly, without its two
Python calls, two regex matches and (for bytes) its encoding detection, and falls back to
``json.loads`` for anything it does not read whole; :func:`dumps_compact` calls the C encoder
behind ``json.JSONEncoder`` directly, without its Python ``encode()`` and ``iterencode()``.

**Generated body builders** (benchmarks/async_json.py, completions.create): a request body's
``build`` has one keyword-only parameter per field, so a call binds its arguments straight
into locals instead of building and walking a dict of them (0.66 instead of 1.5 µs for the
fifteen fields of a completion); what a check accepts as it is, it accepts inline.
"""

from __future__ import annotations

import json
import json.encoder
import keyword
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, NoReturn, Protocol

__all__ = [
    "FieldPlan",
    "TopStructureFn",
    "check_contract",
    "dumps_compact",
    "generate_body_builder",
    "generate_structure_fn",
    "JSONTooDeepError",
    "loads_json",
]

# (Not in the typeshed stubs, but part of JSONDecoder since Python 2.6.)
_scan_once: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


class JSONTooDeepError(ValueError):
    """A JSON document nested deeper than allowed (``Limits.max_json_depth``)."""


def loads_json(data: str | bytes, max_depth: int = 128) -> Any:
    """``json.loads(data)``, faster for the common case of one compact UTF-8 JSON value.

    Raises:
        JSONTooDeepError: arrays and objects nested deeper than *max_depth*.
        ValueError: *data* is not one JSON document.
    """
    text = ""
    try:
        text = data if isinstance(data, str) else data.decode()
        value, end = _scan_once(text, 0)
    except (StopIteration, ValueError):
        end = -1
    except RecursionError:
        raise _too_deep(max_depth) from None
    # Nesting N deep takes N opening brackets: a document with no more than max_depth of them
    # cannot be too deep, and counting them is two C calls where the walk below is Python over
    # every container (benchmarks/instructions.py, tool-call chunks: ~40,000 instructions per
    # event). Brackets inside strings only make the count larger, never wrongly small.
    if end == len(text):
        # Counted inline, not by _opening_brackets: the call costs as much as the counting
        # (the same benchmark).
        if (
            len(text) > 2 * max_depth
            and text.count("[") + text.count("{") > max_depth
            and _depth(value, max_depth) > max_depth
        ):
            raise _too_deep(max_depth)
        return value
    # Space around the value, a BOM, another encoding, trailing bytes or invalid JSON:
    # json.loads decides.
    try:
        value = json.loads(data)
    except RecursionError:
        raise _too_deep(max_depth) from None
    if _opening_brackets(data) > max_depth and _depth(value, max_depth) > max_depth:
        raise _too_deep(max_depth)
    return value


def _opening_brackets(data: str | bytes) -> int:
    """How many ``[`` and ``{`` *data* holds, strings included: a bound on its nesting."""
    if isinstance(data, str):
        return data.count("[") + data.count("{")
    return data.count(b"[") + data.count(b"{")


def _too_deep(max_depth: int) -> JSONTooDeepError:
    return JSONTooDeepError(
        f"JSON nested deeper than {max_depth} levels (smarter.Limits.max_json_depth)"
    )


def _depth(value: Any, stop: int) -> int:
    """How deep *value* nests lists and dicts, counting no further than *stop* + 1."""
    if not isinstance(value, dict | list):
        return 0
    deepest = 0
    level: list[Any] = [value]
    while level and deepest <= stop:
        deepest += 1
        below: list[Any] = []
        for item in level:
            children = item.values() if item.__class__ is dict else item
            below.extend(child for child in children if child.__class__ in _CONTAINERS)
        level = below
    return deepest


_CONTAINERS: Final[frozenset[type]] = frozenset({dict, list})


def _refuse(value: object) -> object:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


_c_make_encoder: Any = getattr(json.encoder, "c_make_encoder", None)
_c_encode_string: Any = getattr(json.encoder, "c_encode_basestring", None)
_slow = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode


def dumps_compact(value: Any) -> bytes:
    """``json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)``.

    Raises:
        ValueError: a float is NaN or infinite, or a container holds itself.
        TypeError: a value JSON has no form for.
    """
    if _c_make_encoder is None:  # pragma: no cover - an interpreter without the C encoder
        return _slow(value).encode()
    # A new encoder per call: its circular-reference markers are per document. (One shared
    # encoder without markers saved ~300 ns, but a container holding itself then recurses
    # until RecursionError, and on Python < 3.12 with a raised recursion limit or a small
    # thread stack the C stack overflows first: a crash instead of a ValueError.)
    encode = _c_make_encoder({}, _refuse, _c_encode_string, None, ":", ",", False, False, False)
    return "".join(encode(value, 0)).encode()


def generate_body_builder(
    checks: Mapping[str, Callable[[str, Any], Any]],
    inline: Mapping[Callable[[str, Any], Any], str],
    *,
    as_is: Callable[[str, Any], Any],
) -> Callable[..., dict[str, Any]]:
    """Generate ``build(*, field=None, ...) -> body`` for a request body's declared fields.

    Each field not None is set to ``check(name, value)``; a check found in *inline* (an
    expression of ``{v}``) is skipped for a value that expression accepts, and *as_is* is
    never called. A name the generated code uses itself (a leading underscore), a keyword or
    a non-identifier is refused with ``ValueError``.
    """
    namespace: dict[str, Any] = {}
    lines = [f"def build(*, {', '.join(f'{name}=None' for name in checks)}):", "    _body = {}"]
    for i, (name, check) in enumerate(checks.items()):
        if not name.isidentifier() or keyword.iskeyword(name) or name.startswith("_"):
            raise ValueError(f"{name!r} cannot be a field of a request body")
        namespace[f"_check{i}"] = check
        value = name if check is as_is else f"_check{i}({name!r}, {name})"
        if check in inline:
            value = f"{name} if {inline[check].format(v=name)} else {value}"
        lines += [f"    if {name} is not None:", f"        _body[{name!r}] = {value}"]
    lines.append("    return _body")
    exec("\n".join(lines), namespace)  # noqa: S102 - our own field names, checked above
    build: Callable[..., dict[str, Any]] = namespace["build"]
    assert build() == {}, "a generated body builder must leave None fields out"
    return build


class TopStructureFn(Protocol):
    """``structure_top(d, response, rid=None)``: a top-level result of a response.

    *response* is anything with ``headers`` and ``request_id`` (or None); *rid*, when given,
    is kept as the request id instead of the response's.
    """

    def __call__(self, d: Any, response: Any, rid: str | None = None, /) -> Any: ...


class FieldPlan:
    """How the generated function fills one field (decided by the converter).

    Attributes:
        name: The attribute name.
        keys: The wire keys read into it, the first present wins.
        required: Whether an absent key is an error.
        default: The default value, or a zero-argument factory when *factory* is set.
        factory: Whether *default* is a factory.
        check: Python source of an inline check of ``v`` (raising ``_mismatch``), or None.
        hook: The structure hook ``hook(v, type)`` to call when there is no inline check.
        type: The type passed to *hook*.
        optional: Whether ``None`` skips *hook* (a ``Model | None`` field).
        nullable: The default is None and the field takes null: absent and null are alike.
        items: For a list of models, the model's hook: each item is built by it directly
            (*hook* only sees a value that is no list, to report it).
        item_type: The type passed to *items*.
    """

    __slots__ = (
        "check",
        "default",
        "factory",
        "hook",
        "item_type",
        "items",
        "keys",
        "name",
        "nullable",
        "optional",
        "required",
        "type",
    )

    def __init__(
        self,
        name: str,
        keys: Sequence[str],
        *,
        required: bool,
        default: Any = None,
        factory: bool = False,
        check: str | None = None,
        hook: Callable[[Any, Any], Any] | None = None,
        type: Any = None,
        optional: bool = False,
        nullable: bool = False,
        items: Callable[[Any, Any], Any] | None = None,
        item_type: Any = None,
    ) -> None:
        self.name = name
        self.keys = tuple(keys)
        self.required = required
        self.default = default
        self.factory = factory
        self.check = check
        self.hook = hook
        self.type = type
        self.optional = optional
        self.nullable = nullable
        self.items = items
        self.item_type = item_type


_MISSING: Final = object()


def check_contract(cls: type[Any]) -> None:
    """Assert that *cls* may be built without its ``__init__`` (see the module docstring)."""
    import attrs  # here, not at import: loads_event is on `import smarter`'s path

    assert attrs.has(cls), f"{cls.__qualname__} is not an attrs class"
    assert "__slots__" in vars(cls), f"{cls.__qualname__} must be slotted (attrs slots=True)"
    assert not hasattr(cls, "__attrs_post_init__"), (
        f"{cls.__qualname__} has __attrs_post_init__, which the fast path would skip"
    )
    for field in attrs.fields(cls):
        assert field.validator is None, f"{cls.__qualname__}.{field.name} has a validator"
        assert field.converter is None, f"{cls.__qualname__}.{field.name} has a converter"
        assert field.on_setattr in (None, attrs.setters.NO_OP), (
            f"{cls.__qualname__}.{field.name} has an on_setattr hook"
        )
        assert hasattr(getattr(cls, field.name, None), "__set__"), (
            f"{cls.__qualname__}.{field.name} is not a slot"
        )


def _builder(cls: type[Any]) -> type[Any]:
    """The builder of *cls* (see the module docstring), checked to turn into a *cls*.

    One per class, however often a converter asks: each is a subclass of *cls* for good.
    """
    builder = _BUILDERS.get(cls)
    if builder is not None:
        return builder
    # Both: they share one type slot, and a frozen class's own __delattr__ in it would make
    # every store a call again.
    plain = {"__setattr__": object.__setattr__, "__delattr__": object.__delattr__}
    builder = type(cls.__name__, (cls,), {"__slots__": (), **plain})
    probe: Any = object.__new__(builder)
    probe.__class__ = cls
    assert type(probe) is cls, f"a builder of {cls.__qualname__} does not become one"
    _BUILDERS[cls] = builder
    return builder


_BUILDERS: dict[type[Any], type[Any]] = {}


def generate_structure_fn(
    cls: type[Any],
    plans: Sequence[FieldPlan],
    *,
    mismatch: Callable[[str, Any], Exception],
    missing: type[Exception],
    wire_slot: str,
    id_slot: str,
    headers_slot: str,
    fail: Callable[[Any, Exception, Any, str | None], NoReturn],
) -> tuple[Callable[[Any, Any], Any], TopStructureFn]:
    """Generate ``structure(d, _) -> cls`` from the converter's field plans.

    Returns:
        The structure function, and its twin for a top-level result (a :data:`TopStructureFn`),
        which also keeps the response's headers and request id in *headers_slot* and
        *id_slot*, and turns any failure into *fail*'s error (benchmarks/stream.py and
        async_json.py: a slot filled before the object is frozen is one store, where a
        descriptor's ``__set__`` after is a call, and a wrapper function is one more frame).

    Args:
        cls: The model class; it must pass :func:`check_contract`.
        plans: One plan per field, in the class's field order.
        mismatch: ``mismatch(expected, value)`` makes the error of a value of the wrong type.
        missing: The exception raised with the wire key of an absent required field.
        wire_slot: The slot the wire dict is kept in (the converter keeps the dict).
        id_slot: The slot the request id of a top-level result is kept in.
        headers_slot: The slot the response headers of a top-level result are kept in.
        fail: ``fail(d, exc, response, request_id)`` raises the error of a body that does not
            fit, *exc* being what the structure function raised.
    """
    check_contract(cls)
    slots = (wire_slot, id_slot, headers_slot, *(plan.name for plan in plans))
    assert all(name.isidentifier() and not keyword.iskeyword(name) for name in slots)
    namespace: dict[str, Any] = {
        "_cls": cls,
        "_builder": _builder(cls),
        "_new": object.__new__,
        "_absent": _MISSING,
        "_mismatch": mismatch,
        "_Missing": missing,
        "_fail": fail,
    }
    lines = [
        "    if not isinstance(d, dict): raise _mismatch('object', d)",
        "    o = _new(_builder)",
    ]
    for index, plan in enumerate(plans):
        lines += _field_lines(index, plan, namespace)
    lines.append(f"    o.{wire_slot} = d")
    # The builder's object becomes a *cls*, frozen, once every slot is filled.
    end = ["    o.__class__ = _cls", "    return o"]
    top = [
        "    if response is not None:",
        f"        o.{headers_slot} = response.headers",
        "        if rid is None: rid = response.request_id",
        f"    if rid is not None: o.{id_slot} = rid",
    ]
    source = "\n".join(
        ["def structure_model(d, _):", *lines, *end]
        + ["def structure_top(d, response, rid=None):", "  try:"]
        + [f"  {line}" for line in (*lines, *top, *end)]
        + ["  except Exception as exc:", "    _fail(d, exc, response, rid)"]
    )
    exec(compile(source, f"<structure {cls.__qualname__}>", "exec"), namespace)  # noqa: S102 (our own code)
    return namespace["structure_model"], namespace["structure_top"]


def _field_lines(index: int, plan: FieldPlan, namespace: dict[str, Any]) -> list[str]:
    """The lines that fill field number *index* from ``d`` (its names put in *namespace*)."""
    store = f"o.{plan.name} = v"
    first, *others = plan.keys
    check = plan.check
    if plan.items is not None:
        # A list of models: each item built by the model's function, without the list
        # and union hooks' calls; one item (a chunk's one choice, one tool-call
        # fragment) without a comprehension's (benchmarks/stream.py, tool calls).
        namespace[f"_item{index}"] = plan.items
        namespace[f"_itype{index}"] = plan.item_type
        item = f"_item{index}({{}}, _itype{index})"
        check = (
            f"v = ([{item.format('v[0]')}] if len(v) == 1 else "
            f"[{item.format('x')} for x in v]) if v.__class__ is list else "
            f"_hook{index}(v, _type{index})"
        )
        if plan.optional:
            check = f"if v is not None: {check}"
        namespace[f"_hook{index}"] = plan.hook
        namespace[f"_type{index}"] = plan.type
    if plan.nullable and not others:
        # Absent or null: None either way, so no test of absence.
        convert = check or f"if v is not None: v = _hook{index}(v, _type{index})"
        namespace[f"_hook{index}"] = plan.hook
        namespace[f"_type{index}"] = plan.type
        return [f"    v = d.get({first!r})", f"    {convert}", f"    {store}"]
    lines = [f"    v = d.get({first!r}, _absent)"]
    lines.extend(f"    if v is _absent: v = d.get({alias!r}, _absent)" for alias in others)
    if plan.required:
        lines.append(f"    if v is _absent: raise _Missing({first!r})")
        absent = None
    elif plan.factory:
        namespace[f"_factory{index}"] = plan.default
        absent = f"_factory{index}()"
    else:
        namespace[f"_default{index}"] = plan.default
        absent = f"_default{index}"
    if check is not None:
        convert = check
    else:
        namespace[f"_hook{index}"] = plan.hook
        namespace[f"_type{index}"] = plan.type
        convert = f"v = _hook{index}(v, _type{index})"
        if plan.optional:
            convert = f"if v is not None: {convert}"
    if absent is None:
        lines += [f"    {convert}", f"    {store}"]
    else:
        lines += [
            f"    if v is _absent: v = {absent}",
            "    else:",
            f"        {convert}",
            f"    {store}",
        ]
    return lines
