"""Reading, overriding, writing and hashing configs.

YAML is read with ``yaml.safe_load`` only: a config is data, and nothing in it
is ever evaluated or imported. Validation errors become a
:class:`~socialsim.errors.ConfigError` that names the key path, the rule and
the value of every problem at once.

Two ways to change a config, with different merge rules:

* a YAML file is validated like the nested mapping it is: a section you give
  replaces the defaults of the fields you name; a table you give
  (``population.tiers``, ``catalogue.categories``) replaces the whole default
  table, so each row must be complete;
* dotted overrides (``--set population.tiers.3.share=0.2``) change single
  values of an already valid config, then the result is validated again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from socialsim.config import documents
from socialsim.config.documents import (
    MAX_FILE_BYTES,
    MAX_FILE_BYTES_ENV,
    max_file_bytes,
    parse_override,
    read_yaml,
    stable_hash,
)
from socialsim.config.schema import ModelConfig
from socialsim.errors import Problem

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_FILE_BYTES_ENV",
    "apply_overrides",
    "dump_yaml",
    "field_type",
    "load_config",
    "max_file_bytes",
    "override_data",
    "parse_override",
    "parse_overrides",
    "read_yaml",
    "stable_hash",
    "validate_config",
    "validation_problems",
]


def validate_config(data: Mapping[str, Any], source: str | None = None) -> ModelConfig:
    """Validate a nested mapping into a :class:`ModelConfig`.

    Parameters
    ----------
    data : mapping
        Nested sections as in the YAML file; missing keys take their defaults.
    source : str, optional
        Where the data came from, prefixed to error messages.

    Returns
    -------
    ModelConfig

    Raises
    ------
    ConfigError
        Listing every invalid, unknown or missing key.

    Examples
    --------
    >>> validate_config({"population": {"n_consumers": 10_000}}).population.n_consumers
    10000
    >>> validate_config({"population": {"n_consumer": 1000}})
    Traceback (most recent call last):
    ...
    socialsim.errors.ConfigError: population.n_consumer: unknown key (did you mean 'n_consumers'?)
    """
    return documents.validate_document(ModelConfig, data, source)


def load_config(path: str | Path) -> ModelConfig:
    """Load and validate a YAML config file.

    Parameters
    ----------
    path : str or Path
        A YAML file holding a mapping of sections (``population:``, ...).

    Returns
    -------
    ModelConfig

    Raises
    ------
    ConfigError
        If the file is missing, too large, empty, not YAML, not a mapping, or invalid.
    """
    return documents.load_document(ModelConfig, path)


def parse_overrides(items: Iterable[str]) -> dict[str, Any]:
    """Parse several ``KEY=VALUE`` strings into an ordered mapping (later ones win)."""
    return dict(parse_override(item) for item in items)


def apply_overrides(config: ModelConfig, overrides: Mapping[str, Any]) -> ModelConfig:
    """Return `config` with dotted-key overrides applied and validated.

    Parameters
    ----------
    config : ModelConfig
        The config to start from; it is not changed.
    overrides : mapping of str to object
        Dotted key paths (``"population.tiers.3.share"``) and their new values.
        Integer keys of tier tables may be written as digits.

    Returns
    -------
    ModelConfig

    Raises
    ------
    ConfigError
        If a path does not exist or the result is not valid.

    Examples
    --------
    >>> cfg = ModelConfig().with_overrides({"network.mean_degree": 8})
    >>> cfg.network.mean_degree
    8.0
    """
    return config.with_overrides(overrides)


def override_data(data: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Return a copy of a config's nested data with dotted-key overrides set, unvalidated.

    ``validate_config(override_data(config.model_dump(), overrides))`` is
    ``apply_overrides(config, overrides)``; this half needs no pydantic, so it
    can prepare many configs cheaply for validation elsewhere (in a worker).

    Raises
    ------
    ConfigError
        If a path does not exist in the schema.

    Examples
    --------
    >>> data = override_data(ModelConfig().model_dump(), {"network.mean_degree": 7})
    >>> data["network"]["mean_degree"], validate_config(data).network.mean_degree
    (7, 7.0)
    """
    return documents.override_document(data, overrides, ModelConfig)


def dump_yaml(config: ModelConfig) -> str:
    """Return the complete config as YAML, readable by :func:`load_config`."""
    return documents.dump_yaml(config)


def field_type(path: str) -> Any:
    """Return the type annotation of the config value at a dotted key path.

    Returns None if the path does not name a value in the schema.

    Examples
    --------
    >>> field_type("population.n_consumers")
    <class 'int'>
    >>> field_type("population.tiers.3.share")
    <class 'float'>
    """
    return documents.field_type(path, ModelConfig)


def validation_problems(exc: ValidationError, root: type[BaseModel] = ModelConfig) -> list[Problem]:
    """Turn a pydantic ValidationError into one problem per error (default root: the config).

    See :func:`socialsim.config.documents.validation_problems`.
    """
    return documents.validation_problems(exc, root)
