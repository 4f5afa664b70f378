"""brokerlink's quick start, offline: three typed clients against brokerlink's local sandbox.

Run from a checkout: ``python3 examples/quickstart.py``. No account and no network: the sandbox
(``brokerlink[sandbox]``) serves all three APIs on 127.0.0.1.
"""

from __future__ import annotations

import brokerlink
from brokerlink import errors
from brokerlink.sandbox.testing import SandboxServer


def main() -> None:
    with SandboxServer() as sandbox:
        with brokerlink.MetaApi(token="demo-token", base_url=sandbox.base_url("metaapi")) as meta:
            created = meta.create_account(
                body={
                    "name": "demo",
                    "server": "ICMarketsSC-Demo",
                    "platform": "mt5",
                    "login": "12345678",
                    "password": "demo-password",
                    "magic": 0,
                }
            )
            print(f"MetaApi: created account {created.id} in state {created.state}")
            meta.deploy_account(created.id)
            print(f"MetaApi: deployed, state now {meta.get_account(created.id).state}")
        with brokerlink.BrokerWork(
            base_url=sandbox.base_url("brokerwork"), tenant_id="T001117", token="demo-token"
        ) as bw:
            info = bw.get_account_info(server_id="1", account_id=["3004272", "3004273"])
            print(f"Broker Work: {len(info)} accounts")
            try:
                bw.get_account_info(server_id="BW_INVALID_SERVERID", account_id=["1"])
            except errors.ValidationError as exc:
                print(f"Broker Work: typed error {type(exc).__name__} code={exc.code}")
        with brokerlink.B2Core(
            base_url=sandbox.base_url("b2core"), client_id="demo", client_secret="demo-secret"
        ) as b2:
            accounts = b2.list_accounts(filter_={"currency": "USD"}, limit=5)
            for account in accounts:
                print(f"B2Core: account {account.number} balance {account.balance!r}")


if __name__ == "__main__":
    main()
