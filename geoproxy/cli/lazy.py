"""Modules loaded on first use, so that `geoproxy --help` and `--version` import neither rich
nor pydantic nor the AWS SDK: start-up time is what scripted use pays on every call."""

from __future__ import annotations

import importlib
from typing import Any


class LazyModule:
    """Stands for a module until an attribute is read; then every read goes to the module
    itself (so reassigned module globals are always seen fresh)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        return getattr(importlib.import_module(self._name), attribute)
