"""The :class:`Sandbox`: options, clock, stores and fault plan shared by all handlers."""

from __future__ import annotations

from brokerlink.sandbox.faults import FaultPlan, FaultRule
from brokerlink.sandbox.options import SandboxOptions
from brokerlink.sandbox.seed import seed_b2core, seed_brokerwork, seed_metaapi
from brokerlink.sandbox.state import B2CoreStore, BrokerWorkStore, MetaApiStore


class Sandbox:
    """Everything one running sandbox knows. ``reset()`` puts the stores back to the seed."""

    def __init__(self, options: SandboxOptions) -> None:
        self.options = options
        self.clock = options.clock
        self.faults = FaultPlan()
        self.metaapi = MetaApiStore()
        self.brokerwork = BrokerWorkStore()
        self.b2core = B2CoreStore()
        self.reset()

    def reset(self) -> None:
        """Drop all state (accounts, tokens, transactions, fault rules) and re-seed."""
        now = self.clock.now()
        seeded = self.options.seed
        self.metaapi = seed_metaapi(now) if seeded else seed_metaapi(now, empty=True)
        self.brokerwork = seed_brokerwork(now) if seeded else seed_brokerwork(now, empty=True)
        self.b2core = seed_b2core(now) if seeded else seed_b2core(now, empty=True)
        self.faults.clear()
        if self.options.fault is not None:
            self.faults.add(
                FaultRule(self.options.fault, self.options.fault_times, self.options.fault_api)
            )
