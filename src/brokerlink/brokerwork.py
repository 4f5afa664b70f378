"""Lean Work Broker Work: the facades and every model and enum of its spec, by a short path.

``from brokerlink.brokerwork import BrokerWork, ...``. Importing this module loads the
BrokerWork client; ``import brokerlink`` alone does not.
"""

from brokerlink.generated.brokerwork.facade import AsyncBrokerWork as AsyncBrokerWork
from brokerlink.generated.brokerwork.facade import BrokerWork as BrokerWork
from brokerlink.generated.brokerwork.models import *  # noqa: F403  (the models' own __all__)
from brokerlink.generated.brokerwork.models import __all__ as _models

__all__ = ["AsyncBrokerWork", "BrokerWork", *_models]
