"""Names -> classes, one registry per kind of plug-in (the LEAPS protocol's
tasks, search spaces, search methods): every module of the plug-in package
registers its class with ``@registry.register``, and the modules are
imported on the first look-up, so adding one is adding one module."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Generic, TypeVar

T = TypeVar("T", bound=type)


class Registry(Generic[T]):
    def __init__(self, kind: str, package: str):
        self.kind = kind
        self.package = package
        self._classes: dict[str, T] = {}
        self._imported = False

    def register(self, cls: T) -> T:
        """Class decorator; the name is ``cls.name`` (lower case)."""
        name = str(getattr(cls, "name", "")).lower()
        if not name:
            raise ValueError(f"{cls.__name__} has no {self.kind} name")
        if name in self._classes and self._classes[name] is not cls:
            raise ValueError(f"{self.kind} name {name!r} is already registered by {self._classes[name].__name__}")
        self._classes[name] = cls
        return cls

    def _import_all(self) -> None:
        if self._imported:
            return
        self._imported = True
        package = importlib.import_module(self.package)
        for module in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"{self.package}.{module.name}")

    def names(self) -> tuple[str, ...]:
        self._import_all()
        return tuple(sorted(self._classes))

    def get(self, name: str) -> T:
        """The class registered as ``name``; ``ValueError`` naming the known ones."""
        self._import_all()
        cls = self._classes.get(str(name).lower())
        if cls is None:
            raise ValueError(f"unknown {self.kind} {name!r}; known {self.kind}s: {', '.join(self.names())}")
        return cls
