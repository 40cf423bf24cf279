"""Frozen dataclasses that are quick to build: the rules engine makes hundreds of thousands.

`@dataclass(frozen=True)` builds an instance by one `object.__setattr__` call per field (the
frozen class refuses plain assignment); for 240,000 observation scores and 120,000 monthly
standings that is a tenth of a year-end run. `quick_init` replaces that generated
`__init__` with one that takes the same parameters (same names, order and defaults) and
fills the new instance's attribute dict in one step. Everything else the dataclass gave
— immutability, `==`, `hash`, `repr`, `dataclasses.replace` / `fields` / `asdict` — is
unchanged.
"""

from __future__ import annotations

from dataclasses import MISSING, fields
from typing import Any, TypeVar

T = TypeVar("T")


def quick_init(cls: type[T]) -> type[T]:
    """Give the frozen dataclass `cls` a quicker `__init__` with the same signature.

    Only plain fields are supported (each an `__init__` parameter, positional or keyword,
    with at most a default value); anything else is refused when the class is defined.
    """
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen or hasattr(cls, "__slots__"):
        raise TypeError(f"{cls.__name__}: quick_init needs a frozen dataclass without slots")
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__}: quick_init does not run __post_init__")
    namespace: dict[str, object] = {"_set": object.__setattr__}
    arguments, entries = [], []
    for field in fields(cls):  # type: ignore[arg-type]
        if not field.init or field.kw_only or field.default_factory is not MISSING:
            raise TypeError(f"{cls.__name__}.{field.name}: quick_init takes plain fields only")
        if field.default is MISSING:
            arguments.append(field.name)
        else:
            namespace[f"_default_{field.name}"] = field.default
            arguments.append(f"{field.name}=_default_{field.name}")
        entries.append(f"{field.name!r}: {field.name}")
    source = (
        f"def __init__(self, {', '.join(arguments)}):\n"
        f"    _set(self, '__dict__', {{{', '.join(entries)}}})\n"
    )
    exec(source, namespace)  # the way `dataclasses` itself writes `__init__`
    init: Any = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__doc__ = cls.__init__.__doc__
    setattr(cls, "__init__", init)  # noqa: B010 (mypy refuses assigning a method)
    return cls
