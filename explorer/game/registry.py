"""A registry of specs by name: the one list of the data sets, the objectives and the metrics, which every
consumer (config choices, the CLI, the sidebar, the Evaluate page, the sweep figures, the catalog) reads, so
adding one is one `register` call (torchvision's data sets and timm's models are the model).

`Registry.names()` is a live view: a sequence of the names registered NOW (filtered by a rule on the spec),
so a tuple built at import time (a field's choices, argparse's choices) still sees what is registered later.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Generic, Protocol, TypeVar

from explorer import names


class Spec(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def label(self) -> str: ...


S = TypeVar("S", bound=Spec)


class UnknownNameError(ValueError):
    """A name no spec is registered under; the message lists the ones that are."""


class Registry(Generic[S]):
    """Specs in the order they were registered. `kind` is explorer.names' kind for their codes ("dataset",
    "loss", "metric"): a spec's non-empty `label` becomes its label there (built-in specs leave it empty: names
    holds their labels already)."""

    def __init__(self, kind: str, what: str):
        self.kind, self.what = kind, what  # what: how an error names a spec ("data set", "metric")
        self._specs: dict[str, S] = {}
        self._labelled: set[str] = set()  # the names whose label this registry gave explorer.names

    def register(self, spec: S) -> S:
        if spec.name in self._specs:
            raise ValueError(f"{self.what} {spec.name!r} is registered already: unregister it first")
        if not spec.name or not spec.name.replace("_", "").isalnum() or spec.name != spec.name.lower():
            raise ValueError(f"{self.what} name {spec.name!r}: use lower-case letters, digits and underscores "
                             "(it is a code in links, the CLI and file names)")
        self._specs[spec.name] = spec
        if spec.label and names.add_label(self.kind, spec.name, spec.label):
            self._labelled.add(spec.name)
        return spec

    def unregister(self, name: str) -> S:
        spec = self.get(name)
        del self._specs[name]
        if name in self._labelled:
            self._labelled.discard(name)
            names.remove_label(self.kind, name)
        return spec

    def get(self, name: str) -> S:
        try:
            return self._specs[name]
        except KeyError:
            raise UnknownNameError(f"{self.what} {name!r} is not known: use one of "
                                   + ", ".join(self._specs)) from None

    def find(self, name: str | None) -> S | None:
        """The spec of `name`, or None (a run made with a spec that is no longer registered)."""
        return self._specs.get(name) if name is not None else None

    def __contains__(self, name: object) -> bool:
        return name in self._specs

    def __iter__(self) -> Iterator[S]:
        return iter(tuple(self._specs.values()))

    def names(self, where: Callable[[S], bool] | None = None) -> Names:
        return Names(self, where)


class Names(Sequence[str]):
    """The names of a registry's specs that pass `where`, read at each use (never a stale copy)."""

    def __init__(self, registry: Registry, where: Callable | None = None):
        self._registry, self._where = registry, where

    def _now(self) -> tuple[str, ...]:
        return tuple(s.name for s in self._registry if self._where is None or self._where(s))

    def __getitem__(self, i):  # type: ignore[override]
        return self._now()[i]

    def __len__(self) -> int:
        return len(self._now())

    def __contains__(self, name: object) -> bool:
        return name in self._now()

    def __iter__(self) -> Iterator[str]:
        return iter(self._now())

    def __repr__(self) -> str:
        return repr(self._now())
