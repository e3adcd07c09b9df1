"""Model families (what to build): a registry, one file per family.

Adding a family is adding a module to this package with a :class:`ModelFamily` subclass decorated with
:func:`register_family`: every module here is imported below, so study files can name it at once.
"""

import importlib
import pkgutil

from sweep.models.base import ModelFamily, get_family, register_family, registered_families

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")  # family modules register themselves

__all__ = ["ModelFamily", "get_family", "register_family", "registered_families"]
