"""B2Core IB: the facades and every model and enum of its spec, by a short path.

``from brokerlink.b2core import B2Core, ...``. Importing this module loads the B2Core client;
``import brokerlink`` alone does not.
"""

from brokerlink.generated.b2core.facade import AsyncB2Core as AsyncB2Core
from brokerlink.generated.b2core.facade import B2Core as B2Core
from brokerlink.generated.b2core.models import *  # noqa: F403  (the models' own __all__)
from brokerlink.generated.b2core.models import __all__ as _models

__all__ = ["AsyncB2Core", "B2Core", *_models]
