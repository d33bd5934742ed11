"""Configuration: the validated, frozen description of a world and a run."""

from socialsim.config.loading import (
    apply_overrides,
    dump_yaml,
    load_config,
    parse_override,
    parse_overrides,
    stable_hash,
    validate_config,
)
from socialsim.config.schema import (
    AgentsConfig,
    BehaviourConfig,
    CatalogueConfig,
    CategoryConfig,
    ConversionConfig,
    InfluencerConfig,
    ModelConfig,
    NetworkConfig,
    PopulationConfig,
    RunConfig,
    StoreConfig,
    TierConfig,
    TierNetworkConfig,
)

__all__ = [
    "AgentsConfig",
    "BehaviourConfig",
    "CatalogueConfig",
    "CategoryConfig",
    "ConversionConfig",
    "InfluencerConfig",
    "ModelConfig",
    "NetworkConfig",
    "PopulationConfig",
    "RunConfig",
    "StoreConfig",
    "TierConfig",
    "TierNetworkConfig",
    "apply_overrides",
    "dump_yaml",
    "load_config",
    "parse_override",
    "parse_overrides",
    "stable_hash",
    "validate_config",
]
