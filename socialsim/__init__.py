"""socialsim: agent-based simulation of Chinese social commerce.

The package exports the config and the model; everything else is reached
through its subpackages (``socialsim.world``, ``socialsim.mechanisms``, ...).
"""

from socialsim._version import __version__
from socialsim.config import ModelConfig
from socialsim.errors import ConfigError
from socialsim.model import SocialCommerceModel

__all__ = ["ConfigError", "ModelConfig", "SocialCommerceModel", "__version__"]
