"""What every result object shares: the wire dict it came from, and the ways to get it back.

Models are plain ``attrs`` data. How a wire dict becomes a model (renames, open enums, strict
scalars, unknown fields) is decided in :mod:`smarter._converter`; this module only reads what
the converter left on an object, and imports the converter lazily, so that
``import smarter.types`` never imports cattrs.
"""

from __future__ import annotations

import enum
import json
from typing import TYPE_CHECKING, Any, SupportsIndex, get_origin

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["BaseModel", "WireEnum", "copy_json", "publish"]


def copy_json(value: Any) -> Any:
    """A deep copy of a JSON value: dicts and lists are copied, everything else is immutable."""
    if isinstance(value, dict):
        return {key: copy_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [copy_json(item) for item in value]
    return value


class WireEnum(str, enum.Enum):
    """The base of the open enums: members are their wire strings.

    A field typed ``SomeEnum | str`` holds a member for a known value and the plain string
    for a value this version of the client does not know yet.
    """

    def __str__(self) -> str:
        return str(self.value)


class BaseModel:
    """The base of every result object in :mod:`smarter.types`.

    A result structured from a response body remembers that body: ``to_dict()`` gives it back
    exactly (unknown fields included, absent fields absent), ``model_fields_set`` tells a
    field that was sent as null from one that was not sent, and fields this version of the
    client does not know are readable as attributes.

    .. versionadded:: 0.2.0
    """

    # Set by the converter after the generated structure function ran (never copied), and
    # left unset on objects built in Python: reading an unset slot lands in __getattr__.
    __slots__ = ("_request_id", "_response_headers", "_wire")

    _wire: dict[str, Any] | None
    _request_id: str | None
    """The request id of the response this object came from (top-level results only)."""
    if TYPE_CHECKING:  # (`smarter.types` is the module name typing resolves hints in)
        _response_headers: Mapping[str, str] | None
        """The headers of the response this object came from (top-level results only):
        the rate-limit headers and the like. Not kept by pickling.

        .. versionadded:: 0.3.0
        """

    def to_dict(self) -> dict[str, Any]:
        """The wire form of this object, as a fresh dict.

        For an object structured from a response, that is the body as it was received,
        including fields this client does not know. For an object built in Python, it is the
        object's fields under their wire names, enums as their values.
        """
        wire = self._wire
        if wire is not None:
            copied: dict[str, Any] = copy_json(wire)
            return copied
        from smarter._converter import unstructure

        result: dict[str, Any] = unstructure(self)
        return result

    def to_json(self, indent: int | None = 2) -> str:
        """The wire form of this object as a JSON document.

        Args:
            indent: The indentation of nested values, or None for one line.
        """
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    @property
    def model_fields_set(self) -> frozenset[str]:
        """The names of the fields that were present on the wire.

        A field sent as null counts as present; a field that was not sent does not. For an
        object built in Python: the fields whose value differs from the field's default.
        """
        from smarter._wire import fields_set

        return fields_set(self)

    def __reduce_ex__(self, protocol: SupportsIndex) -> str | tuple[Any, ...]:
        # attrs' pickling knows only the fields; a structured object is rebuilt from its body,
        # so that copies and pickles keep unknown fields and `model_fields_set`.
        wire = self._wire
        if wire is None:
            return super().__reduce_ex__(protocol)
        return (_restructure, (type(self), wire, self._request_id))

    if not TYPE_CHECKING:
        # Hidden from type checkers on purpose: a typo in a field name should stay a type
        # error; unknown fields are a runtime affordance (``to_dict()`` has them all).

        def __getattr__(self, name: str) -> Any:
            if name in BaseModel.__slots__:  # an unset slot: built in Python, or nested
                return None
            if not name.startswith("__"):
                wire = self._wire
                if wire is not None and name in wire:
                    from smarter._wire import known_wire_keys

                    if name not in known_wire_keys(type(self)):
                        return wire[name]
            raise AttributeError(
                f"{type(self).__name__!r} object has no attribute {name!r}", name=name, obj=self
            )


def publish(namespace: dict[str, Any]) -> None:
    """Name ``smarter.types`` as the module of a types module's public classes.

    Reprs, ``help()`` and pickles then show the path users import (``smarter.types.X``),
    not the module the class happens to live in.
    """
    for name in namespace["__all__"]:
        obj = namespace[name]
        if isinstance(obj, type) and get_origin(obj) is None:  # 3.10: `dict[str, X]` is a type
            obj.__module__ = "smarter.types"


def _restructure(cls: type[BaseModel], wire: dict[str, Any], request_id: str | None) -> Any:
    from smarter._converter import structure

    return structure(wire, cls, request_id=request_id)


BaseModel.__module__ = "smarter.types"
