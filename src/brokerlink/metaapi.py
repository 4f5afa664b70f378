"""MetaApi provisioning: the facades, every model and enum of its spec and ``File`` (uploads), by
a short path.

``from brokerlink.metaapi import MetaApi, ...``. Importing this module loads the MetaApi client;
``import brokerlink`` alone does not.
"""

from brokerlink.generated.metaapi.facade import AsyncMetaApi as AsyncMetaApi
from brokerlink.generated.metaapi.facade import MetaApi as MetaApi
from brokerlink.generated.metaapi.models import *  # noqa: F403  (the models' own __all__)
from brokerlink.generated.metaapi.models import __all__ as _models
from brokerlink.generated.metaapi.types import File as File

__all__ = ["AsyncMetaApi", "File", "MetaApi", *_models]
