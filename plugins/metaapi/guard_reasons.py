"""What the credential guard remembers of MetaApi's answers: the codes, what each is remembered
against, for how long by default and what the refusal asks the user to change; and what a final
answer teaches it (a success, or the typed error the error plugin raised)."""

from __future__ import annotations

import httpx

from brokerlink.credentials.plan import Outcome
from brokerlink.credentials.policy import Reason
from brokerlink.errors import ApiError, ResourceSlotsTooLow
from brokerlink.plugins.error_body import json_object

VENDOR_TEXT = ("MetaApi", "update the account (updateAccount)")
"""The vendor's name and how to update an account, as refusals say them."""
HOUR = 3600.0
DAY = 24 * HOUR

# A permanent credential problem is kept for days, one the user or broker may fix quickly (OTP,
# symbols, server settings, slots estimate) for hours.
REASONS: dict[str, Reason] = {
    "E_AUTH": Reason(
        "credentials",
        7 * DAY,
        "the broker refused this login, password and server: correct them (a new password or "
        "login) before trying again",
    ),
    "E_PASSWORD_CHANGE_REQUIRED": Reason(
        "credentials",
        30 * DAY,
        "the broker requires a password change: change the password in the trading terminal and "
        "use the new one",
    ),
    "E_TRADING_ACCOUNT_DISABLED": Reason(
        "credentials",
        7 * DAY,
        "the broker disabled this trading account: use another account or have the broker "
        "enable it",
    ),
    "E_NO_SYMBOLS": Reason(
        "credentials",
        DAY,
        "the broker configured no symbols for this account: have the broker configure them first",
    ),
    "ERR_OTP_REQUIRED": Reason(
        "credentials",
        DAY,
        "the account requires a one-time password (OTP): disable OTP for the account first",
    ),
    "E_SERVER_TIMEZONE": Reason(
        "server",
        12 * HOUR,
        "broker settings detection failed for this server: use a provisioning profile "
        "(provisioningProfileId) for it",
    ),
    "E_RESOURCE_SLOTS": Reason(
        "slots",
        DAY,
        "too few resource slots for this account: set resourceSlots to at least {recommended}",
    ),
}


def success_of(response: httpx.Response) -> Outcome | None:
    """A success (2xx but 202: a 202 is not final), with the id a 201 created; else None."""
    status = response.status_code
    if status == 202 or not 200 <= status < 300:
        return None
    created = (json_object(response) or {}).get("id") if status == 201 else None
    return Outcome(True, created_id=created if isinstance(created, str) else None)


def rejection_of(error: ApiError) -> Outcome | None:
    """A rejection whose code the guard remembers (``REASONS``), else None."""
    if error.code not in REASONS:
        return None
    slots = error.recommended_resource_slots if isinstance(error, ResourceSlotsTooLow) else None
    return Outcome(False, code=error.code, recommended_slots=None if slots is None else int(slots))
