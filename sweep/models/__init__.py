"""Model families (what to build): a registry, one file per family."""

from sweep.models.base import ModelFamily, get_family, register_family, registered_families
from sweep.models import deepsets as _deepsets  # noqa: F401  (registers "deepsets")
from sweep.models import mlp as _mlp  # noqa: F401  (registers "mlp")

__all__ = ["ModelFamily", "get_family", "register_family", "registered_families"]
