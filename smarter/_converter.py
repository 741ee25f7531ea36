"""The one cattrs converter: every decision about how a response body becomes a result.

The models in :mod:`smarter.types` are plain data; the wire policy lives here:

- **Strict scalars.** A ``str`` field takes a string, an ``int`` field an integer that is not
  a bool, a ``float`` field an integer or a float (stored as float), a ``bool`` field a bool.
  cattrs' defaults (``str(x)``, ``int(x)``) would coerce silently; these hooks refuse.
  ``Any`` and ``dict[str, Any]`` fields take the JSON value as it is.
- **Open enums.** A field typed ``SomeEnum | str`` holds the member of a known value and the
  plain string of an unknown one, never an error.
- **Unknown fields** are ignored by the generated functions and kept all the same: every
  object remembers the dict it was structured from (``to_dict()``, attributes).
- **Wire names.** ``ChatbotManifest.api_version`` is ``apiVersion``; the LLM Engine server's
  ``inference_framework_image_tag`` is read as ``inference_framework_tag``; the WhoAmI
  classes read camelCase (newer servers) as well as snake_case (older ones).
- **Errors.** The fast path is generated code (made lazily, per class: see
  ``_model_factory``) without bookkeeping. Only when it fails is the body walked again, to raise an
  :class:`APIResponseValidationError` naming the path of the first field that does not fit.
"""

from __future__ import annotations

import contextlib
import types
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, Union, get_args, get_origin

import attrs
import cattrs
from cattrs.gen import make_dict_unstructure_fn, override

from smarter._exceptions import APIResponseValidationError
from smarter.types._base import BaseModel, WireEnum, copy_json

__all__ = [
    "fields_set",
    "known_wire_keys",
    "structure",
    "structurer",
    "unstructure",
    "wire_keys",
]

T = TypeVar("T")
Hook = Callable[[Any, Any], Any]

# By class name (and so for subclasses too), so that no resource's types are imported here.
# Field name -> the key it is written under, where that is not the field name.
_RENAMES: dict[str, dict[str, str]] = {"ChatbotManifest": {"api_version": "apiVersion"}}
# Field name -> other keys read into it; the first key present wins.
_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "GetLLMEndpointResponse": {"inference_framework_tag": ("inference_framework_image_tag",)},
}
# Classes whose fields may also arrive in camelCase (newer Smarter servers).
_CAMEL_CASE = frozenset({"WhoAmIUser", "WhoAmIAccount"})

_WIRE_KEYS: dict[type[Any], Mapping[str, tuple[str, ...]]] = {}
_UNIONS = (Union, types.UnionType)
_DICTS = (dict, Mapping)
_set_wire: Callable[[BaseModel, object], None] = vars(BaseModel)["_wire"].__set__
_set_request_id: Callable[[Any, str | None], None] = vars(BaseModel)["_request_id"].__set__


# -- wire names ----------------------------------------------------------------------------


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word.capitalize() for word in rest)


def wire_keys(cls: type[Any]) -> Mapping[str, tuple[str, ...]]:
    """Each field of *cls* and the wire keys read into it; the first is the one written."""
    keys = _WIRE_KEYS.get(cls)
    if keys is None:
        lineage = [base.__name__ for base in cls.__mro__ if issubclass(base, BaseModel)]
        renames = next((_RENAMES[name] for name in lineage if name in _RENAMES), {})
        aliases = next((_ALIASES[name] for name in lineage if name in _ALIASES), {})
        camel = not _CAMEL_CASE.isdisjoint(lineage)
        found: dict[str, tuple[str, ...]] = {}
        for field in attrs.fields(cls):
            names = [renames.get(field.name, field.name), *aliases.get(field.name, ())]
            if camel and _camel(field.name) not in names:
                names.append(_camel(field.name))
            found[field.name] = tuple(names)
        keys = _WIRE_KEYS[cls] = types.MappingProxyType(found)
    return keys


def known_wire_keys(cls: type[Any]) -> frozenset[str]:
    """Every key and field name *cls* knows; any other key of a body is an unknown field."""
    return frozenset(wire_keys(cls)).union(*wire_keys(cls).values())


def fields_set(obj: BaseModel) -> frozenset[str]:
    """The fields of *obj* that were on the wire, or that differ from their defaults."""
    cls: type[Any] = type(obj)
    wire = obj._wire
    if wire is not None:
        return frozenset(
            name for name, keys in wire_keys(cls).items() if any(key in wire for key in keys)
        )
    return frozenset(
        field.name
        for field in attrs.fields(cls)
        if not _is_default(field, getattr(obj, field.name))
    )


def _is_default(field: attrs.Attribute[Any], value: Any) -> bool:
    default: Any = field.default
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]  # a function in the stubs
        default = default.factory()
    return default is not attrs.NOTHING and bool(value == default)


# -- strict scalars and open enums ---------------------------------------------------------


class _MismatchError(TypeError):
    """A value of the wrong JSON type; the message says what was expected and found."""


def _mismatch(expected: str, value: Any) -> _MismatchError:
    if value is None:
        return _MismatchError(f"expected {expected}, got null")
    text = repr(value)
    if len(text) > 40:
        text = text[:37] + "..."
    return _MismatchError(f"expected {expected}, got {type(value).__name__} {text}")


def _structure_str(value: Any, _: Any) -> str:
    if isinstance(value, str):
        return value
    raise _mismatch("str", value)


def _structure_int(value: Any, _: Any) -> int:
    if isinstance(value, int) and value.__class__ is not bool:
        return value
    raise _mismatch("int", value)


# `str | None` and `int | None` are most of the optional fields: one call each, not two.
def _structure_optional_str(value: Any, _: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise _mismatch("str", value)


def _structure_optional_int(value: Any, _: Any) -> int | None:
    if value is None or (isinstance(value, int) and value.__class__ is not bool):
        return value
    raise _mismatch("int", value)


def _structure_float(value: Any, _: Any) -> float:
    if value.__class__ is float:
        return value
    if isinstance(value, (int, float)) and value.__class__ is not bool:
        return float(value)
    raise _mismatch("float", value)


def _structure_number(value: Any, _: Any) -> int | float:
    if isinstance(value, (int, float)) and value.__class__ is not bool:
        return value
    raise _mismatch("number", value)


def _structure_bool(value: Any, _: Any) -> bool:
    if value is True or value is False:
        return value
    raise _mismatch("bool", value)


def _structure_open_enum(value: Any, enum_cls: type[WireEnum]) -> WireEnum | str:
    if isinstance(value, str):
        return enum_cls._value2member_map_.get(value, value)  # type: ignore[return-value]
    raise _mismatch("str", value)


# -- containers and unions -----------------------------------------------------------------


def _json_hook(kind: type[Any], name: str) -> Hook:
    """A hook that takes a JSON array or object as it is, elements and all."""

    def structure_json(value: Any, _: Any) -> Any:
        if isinstance(value, kind):
            return value
        raise _mismatch(name, value)

    return structure_json


def _origin_in(origins: tuple[Any, ...]) -> Callable[[Any], bool]:
    return lambda tp: get_origin(tp) in origins


def _list_factory(tp: Any, conv: cattrs.Converter) -> Hook:
    (item_type,) = get_args(tp) or (Any,)
    if item_type is Any:
        return _json_hook(list, "list")
    item = conv.get_structure_hook(item_type)

    def structure_list(value: Any, _: Any) -> list[Any]:
        if isinstance(value, list):
            return [item(element, item_type) for element in value]
        raise _mismatch("list", value)

    return structure_list


def _dict_factory(tp: Any, conv: cattrs.Converter) -> Hook:
    _, item_type = get_args(tp) or (str, Any)
    if item_type is Any:
        return _json_hook(dict, "object")
    item = conv.get_structure_hook(item_type)

    def structure_dict(value: Any, _: Any) -> dict[str, Any]:
        if isinstance(value, dict):
            return {_structure_str(k, str): item(v, item_type) for k, v in value.items()}
        raise _mismatch("object", value)

    return structure_dict


def _union_factory(tp: Any, conv: cattrs.Converter) -> Hook:
    args = get_args(tp)
    rest = [arg for arg in args if arg is not types.NoneType]
    enums = [arg for arg in rest if isinstance(arg, type) and issubclass(arg, WireEnum)]
    other: Any
    inner: Hook
    if set(rest) == {int, float}:
        other, inner = float, _structure_number
    elif len(rest) == 1 or (len(enums) == 1 and set(rest) == {enums[0], str}):
        other = enums[0] if enums else rest[0]  # `SomeEnum | str` is the open enum SomeEnum
        inner = conv.get_structure_hook(other)
    else:
        raise cattrs.StructureHandlerNotFoundError(f"Unsupported union {tp}", tp)
    if types.NoneType not in args:
        return lambda value, _: inner(value, other)
    if inner is _structure_str:
        return _structure_optional_str
    if inner is _structure_int:
        return _structure_optional_int

    def structure_optional(value: Any, _: Any) -> Any:
        return None if value is None else inner(value, other)

    return structure_optional


# -- models --------------------------------------------------------------------------------


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _renames(cls: type[Any]) -> dict[str, Any]:
    return {name: override(rename=keys[0]) for name, keys in wire_keys(cls).items()}


def _optional_model(tp: Any) -> type[BaseModel] | None:
    """The model of a ``Model | None`` type, else None."""
    if get_origin(tp) not in _UNIONS:
        return None
    rest = [arg for arg in get_args(tp) if arg is not types.NoneType]
    return rest[0] if len(rest) == 1 and len(get_args(tp)) == 2 and _is_model(rest[0]) else None


class _MissingFieldError(KeyError):
    """A required field is absent (the error path then names it)."""


_ABSENT = object()
# Leaf checks written into the generated code instead of a call to their hook.
_INLINE: dict[Hook, str] = {
    _structure_str: "if not isinstance(v, str): raise _mismatch('str', v)",
    _structure_optional_str: (
        "if v is not None and not isinstance(v, str): raise _mismatch('str', v)"
    ),
    _structure_int: ("if not isinstance(v, int) or v.__class__ is bool: raise _mismatch('int', v)"),
    _structure_optional_int: (
        "if v is not None and (not isinstance(v, int) or v.__class__ is bool): "
        "raise _mismatch('int', v)"
    ),
    _structure_bool: "if v is not True and v is not False: raise _mismatch('bool', v)",
}


def _model_factory(cls: type[Any], conv: cattrs.Converter) -> Hook:
    """Generate the structure function of a model class.

    cattrs' generated function calls the class with keyword arguments, and a frozen attrs
    ``__init__`` sets each slot through ``object.__setattr__``: half the cost of a stream
    chunk. The code generated here makes the object with ``object.__new__`` and fills its
    slots through their descriptors, with the common leaf checks written inline. The models
    have no validators, converters or ``__attrs_post_init__`` for ``__init__`` to run.
    """
    attrs.resolve_types(cls)
    keys = wire_keys(cls)
    namespace: dict[str, Any] = {
        "_cls": cls,
        "_new": object.__new__,
        "_absent": _ABSENT,
        "_mismatch": _mismatch,
        "_Missing": _MissingFieldError,
        "_set_wire": _set_wire,
    }
    lines = [
        "def structure_model(d, _):",
        "    if not isinstance(d, dict): raise _mismatch('object', d)",
        "    o = _new(_cls)",
    ]
    for index, field in enumerate(attrs.fields(cls)):
        namespace[f"_set{index}"] = getattr(cls, field.name).__set__
        first, *others = keys[field.name]
        lines.append(f"    v = d.get({first!r}, _absent)")
        lines.extend(f"    if v is _absent: v = d.get({alias!r}, _absent)" for alias in others)
        default: Any = field.default
        if default is attrs.NOTHING:
            lines.append(f"    if v is _absent: raise _Missing({first!r})")
            absent = None
        elif isinstance(default, attrs.Factory):  # type: ignore[arg-type]  # a class at run time
            namespace[f"_factory{index}"] = default.factory
            absent = f"_factory{index}()"
        else:
            namespace[f"_default{index}"] = default
            absent = f"_default{index}"
        hook = conv.get_structure_hook(field.type)
        check = _INLINE.get(hook)
        inner = _optional_model(field.type)
        if check is not None:
            convert = check
        elif inner is not None:
            # `Model | None`: the model's own function, without the union's wrapper call.
            namespace[f"_hook{index}"] = conv.get_structure_hook(inner)
            namespace[f"_type{index}"] = inner
            convert = f"if v is not None: v = _hook{index}(v, _type{index})"
        else:
            namespace[f"_hook{index}"] = hook
            namespace[f"_type{index}"] = field.type
            convert = f"v = _hook{index}(v, _type{index})"
        if absent is None:
            lines += [f"    {convert}", f"    _set{index}(o, v)"]
        else:
            lines += [
                f"    if v is _absent: v = {absent}",
                "    else:",
                f"        {convert}",
                f"    _set{index}(o, v)",
            ]
    lines += ["    _set_wire(o, d)", "    return o"]
    exec(compile("\n".join(lines), f"<structure {cls.__qualname__}>", "exec"), namespace)  # noqa: S102 (our own code)
    structure_model: Hook = namespace["structure_model"]
    return structure_model


def _unstructure_model_factory(cls: type[Any], conv: cattrs.Converter) -> Any:
    make = make_dict_unstructure_fn(cls, conv, **_renames(cls))

    def unstructure_model(obj: BaseModel) -> dict[str, Any]:
        wire = obj._wire
        return copy_json(wire) if wire is not None else make(obj)

    return unstructure_model


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter(detailed_validation=False)
    for scalar, hook in (
        (str, _structure_str),
        (int, _structure_int),
        (float, _structure_float),
        (bool, _structure_bool),
        (WireEnum, _structure_open_enum),
    ):
        conv.register_structure_hook(scalar, hook)
    conv.register_unstructure_hook(WireEnum, lambda member: member.value)
    conv.register_structure_hook_factory(_origin_in(_UNIONS), _union_factory)
    conv.register_structure_hook_factory(_origin_in((list,)), _list_factory)
    conv.register_structure_hook_factory(_origin_in(_DICTS), _dict_factory)
    conv.register_structure_hook_factory(_is_model, _model_factory)
    conv.register_unstructure_hook_factory(_is_model, _unstructure_model_factory)
    return conv


_converter = _make_converter()
# The structure function of each result class, so that a call skips cattrs' dispatch.
_HOOKS: dict[Any, Hook] = {}


# -- the entry points ----------------------------------------------------------------------


def _hook_of(cls: Any) -> Hook:
    try:
        return _HOOKS[cls]
    except KeyError:  # the first call for this class (or an unhashable type)
        hook = _converter.get_structure_hook(cls)
        with contextlib.suppress(TypeError):
            _HOOKS[cls] = hook
        return hook


def structurer(cls: type[T]) -> Callable[[Any, str | None], T]:
    """:func:`structure` bound to one class, for a loop that makes many (stream chunks)."""
    hook = _hook_of(cls)

    def build(data: Any, request_id: str | None) -> T:
        try:
            obj: T = hook(data, cls)
        except Exception as exc:
            raise _invalid(data, cls, exc, request_id) from _foreign(exc)
        if request_id is not None:
            _set_request_id(obj, request_id)
        return obj

    return build


def structure(data: Any, cls: type[T], *, request_id: str | None = None) -> T:
    """Build a *cls* from a decoded response body.

    Args:
        data: The decoded JSON body.
        cls: The result type.
        request_id: The request id of the response, kept as ``_request_id`` on the result.

    Raises:
        APIResponseValidationError: the body does not fit *cls*; the message names the path
            of the first field that does not.
    """
    try:
        obj: T = _hook_of(cls)(data, cls)
    except Exception as exc:
        raise _invalid(data, cls, exc, request_id) from _foreign(exc)
    if request_id is not None:
        _set_request_id(obj, request_id)
    return obj


def unstructure(obj: Any) -> Any:
    """The wire form of a result object, or of a list or dict of them."""
    return _converter.unstructure(obj)


# -- naming the failing field --------------------------------------------------------------


def _foreign(exc: Exception) -> Exception | None:
    """The cause to chain under a validation error.

    A cattrs error is kept. Our own mismatch is all in the message already, where the client
    can redact the value it quotes; as a cause it would carry that value unredacted.
    """
    return None if isinstance(exc, (_MismatchError, _MissingFieldError)) else exc


def _invalid(data: Any, tp: Any, exc: Exception, rid: str | None) -> APIResponseValidationError:
    where = _explain(data, tp, "$") or f"$: {exc!r}"
    return APIResponseValidationError(f"{_name(tp)}: {where}", body=data, request_id=rid)


def _name(tp: Any) -> str:
    """``GetFileResponse``, ``list[GetFileResponse]``: the type as a reader would write it."""
    name = getattr(tp, "__name__", repr(tp))
    args = get_args(tp)
    return f"{name}[{', '.join(map(_name, args))}]" if args else str(name)


def _child(path: str, key: str | int) -> str:
    if isinstance(key, str) and key.isidentifier():
        return f"{path}.{key}"
    return f"{path}[{key!r}]"


def _explain(value: Any, tp: Any, path: str) -> str | None:
    """Where *value* first fails to fit *tp*, as ``"<path>: <what>"``, or None if it fits."""
    if _is_model(tp):
        return _explain_model(value, tp, path)
    origin = get_origin(tp)
    args = get_args(tp)
    if origin in _UNIONS:
        rest = [arg for arg in args if arg is not types.NoneType]
        if value is None and len(rest) < len(args):
            return None
        if len(rest) == 1:
            return _explain(value, rest[0], path)
    elif (origin is list or origin in _DICTS) and isinstance(value, origin):
        items = enumerate(value) if origin is list else value.items()
        found = (_explain(item, args[-1], _child(path, key)) for key, item in items)
        return next((where for where in found if where), None)
    try:  # a leaf, or a container of the wrong kind: the hook says what it expected
        _converter.structure(value, tp)
    except Exception as exc:  # any failure of a hook is what we report
        return f"{path}: {exc}"
    return None


def _explain_model(value: Any, cls: type[Any], path: str) -> str | None:
    if not isinstance(value, dict):
        return f"{path}: {_mismatch('object', value)}"
    fields = attrs.fields_dict(cls)
    for name, keys in wire_keys(cls).items():
        key = next((key for key in keys if key in value), None)
        if key is None:
            if fields[name].default is attrs.NOTHING:
                return f"{_child(path, keys[0])}: required field missing"
            continue
        where = _explain(value[key], fields[name].type, _child(path, key))
        if where:
            return where
    return None
