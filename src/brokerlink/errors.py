"""One exception hierarchy for all three vendors: a rate limit is ``RateLimited`` whoever said it.

Every API error carries the vendor, the operation, the HTTP status, the vendor's code and message,
the raw body and the request id, so a log line or a bug report has what it needs. Messages and
reprs never include request headers or bodies we sent (credentials stay with the caller).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datetime import datetime


class BrokerLinkError(Exception):
    """Base of everything brokerlink raises on purpose."""


class InvalidRequest(BrokerLinkError, ValueError):
    """The caller's input cannot be turned into a request (caught locally, nothing was sent)."""


class PluginError(BrokerLinkError):
    """A third-party plugin cannot be imported or does not fit the hookspecs: ``plugin`` is its
    entry-point name, ``distribution`` its package; the message says how to start without it."""

    def __init__(self, message: str, *, plugin: str, distribution: str | None) -> None:
        super().__init__(message)
        self.plugin = plugin
        self.distribution = distribution


class BrokerLinkWarning(UserWarning):
    """A setting brokerlink cannot honour (a ``BROKERLINK_PLUGINS`` name, a ``BROKERLINK_LOG``
    level): it goes on without it."""


class ConfigurationError(InvalidRequest):
    """A client setting is missing or unusable: a credential, a base URL, the CLI's config file.

    The message names the setting and where it can come from, never its value.
    """


class FieldTypeError(ValueError):
    """A field of a body does not have its declared type (raised by the generated models).

    The facades turn it into ``UnexpectedResponse`` for an answer and ``InvalidRequest`` for a
    body the caller gave as a mapping; ``path`` is the field's JSON path (``accounts[2].balance``).
    """

    def __init__(self, path: str, expected: str, found: str) -> None:
        super().__init__(f"{path}: expected {expected}, found {found}")
        self.path = path
        self.expected = expected
        self.found = found


class TransportError(BrokerLinkError):
    """The HTTP exchange itself failed (connection refused or reset, timeout)."""

    def __init__(self, message: str, *, vendor: str = "", operation: str = "") -> None:
        super().__init__(message)
        self.vendor = vendor
        self.operation = operation


class ApiTimeout(TransportError):
    """No whole answer within the configured timeout (it bounds connect to last byte)."""


class ApiError(BrokerLinkError):
    """The vendor answered, and the answer is a failure."""

    def __init__(
        self,
        message: str,
        *,
        vendor: str,
        operation: str,
        status: int,
        code: str | None = None,
        details: Any = None,
        body: bytes = b"",
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.vendor = vendor
        self.operation = operation
        self.status = status
        self.code = code
        self.details = details
        self.body = body
        self.request_id = request_id

    def __str__(self) -> str:
        code = f" {self.code}" if self.code else ""
        return f"{self.vendor}.{self.operation}: HTTP {self.status}{code}: {self.message}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(vendor={self.vendor!r}, operation={self.operation!r}, "
            f"status={self.status}, code={self.code!r}, message={self.message!r})"
        )


class ValidationError(ApiError):
    """The vendor rejected the request's content (HTTP 400/422, Broker Work BW_INVALID_*)."""


class AuthenticationError(ApiError):
    """Our own API token or key was rejected (not the trading account's password)."""


class PermissionDenied(ApiError):
    """Authenticated, but not allowed to do this."""


class NotFound(ApiError):
    """The addressed resource does not exist."""


class Conflict(ApiError):
    """The request conflicts with the resource's current state."""


class RateLimited(ApiError):
    """Too many requests; ``retry_after`` is the vendor's advised wait in seconds, if any."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(ApiError):
    """The vendor failed (HTTP 5xx)."""


class ServiceUnavailable(ServerError):
    """The vendor is temporarily unable to serve (HTTP 503, Broker Work mcode -1)."""


class UnexpectedResponse(ApiError):
    """An undocumented status or a body that does not parse (HTML page, malformed JSON)."""


# --- MetaApi trading-account rejections (HTTP 400 with a ``details`` code) -----------------------


class BrokerAccountRejected(ValidationError):
    """MetaApi could not use the trading account as given (credentials, server, settings)."""


class InvalidBrokerCredentials(BrokerAccountRejected):
    """E_AUTH: the broker refused the login/password/server combination."""


class BrokerServerNotFound(BrokerAccountRejected):
    """E_SRV_NOT_FOUND: no server file for that name; ``suggested_servers`` maps broker names to
    the server names MetaApi suggests."""

    def __init__(
        self, message: str, *, suggested_servers: dict[str, list[str]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(message, **kwargs)
        self.suggested_servers = suggested_servers or {}


class BrokerSettingsDetectionFailed(BrokerAccountRejected):
    """E_SERVER_TIMEZONE: broker settings could not be detected; use a provisioning profile."""


class ResourceSlotsTooLow(BrokerAccountRejected):
    """E_RESOURCE_SLOTS: more resource slots are needed (``recommended_resource_slots``)."""

    def __init__(
        self, message: str, *, recommended_resource_slots: float | None = None, **kwargs: Any
    ) -> None:
        super().__init__(message, **kwargs)
        self.recommended_resource_slots = recommended_resource_slots


class NoSymbols(BrokerAccountRejected):
    """E_NO_SYMBOLS: the broker configured no symbols for the account."""


class OtpRequired(BrokerAccountRejected):
    """ERR_OTP_REQUIRED: the account requires a one-time password; disable it first."""


class PasswordChangeRequired(BrokerAccountRejected):
    """E_PASSWORD_CHANGE_REQUIRED: the broker wants the password changed first."""


class TradingAccountDisabled(BrokerAccountRejected):
    """E_TRADING_ACCOUNT_DISABLED: the broker disabled the account."""


# --- raised locally by brokerlink's own plugins ------------------------------------------------


class PollTimeout(BrokerLinkError, TimeoutError):
    """A 202-answered call was still in progress at its ``poll_timeout``.

    Nothing is lost: call the same operation again with ``transaction_id=`` to resume the same
    server-side process (MetaApi keys it by the transaction-id).
    """

    def __init__(
        self,
        message: str,
        *,
        vendor: str,
        operation: str,
        transaction_id: str | None,
        attempts: int,
        elapsed: float,
        last_message: str | None,
    ) -> None:
        super().__init__(message)
        self.vendor = vendor
        self.operation = operation
        self.transaction_id = transaction_id
        self.attempts = attempts
        self.elapsed = elapsed
        self.last_message = last_message


class WaitError(BrokerLinkError):
    """A waiter (``wait_deployed`` ...) gave up: ``resource_id`` (account, or ``account/replica``)
    never showed the ``wanted`` state; ``last_seen`` is the last one read, ``elapsed`` seconds."""

    def __init__(
        self, message: str, *, resource_id: str, wanted: str, last_seen: str | None, elapsed: float
    ) -> None:
        super().__init__(message)
        self.resource_id = resource_id
        self.wanted = wanted
        self.last_seen = last_seen
        self.elapsed = elapsed


class WaitTimeout(WaitError, TimeoutError):
    """The wanted state did not come within the waiter's ``timeout``."""


class WaitFailed(WaitError):
    """The account reached a state it does not leave by itself (``DEPLOY_FAILED``, ``DELETING``
    ...): waiting longer cannot help."""


# --- credential guard (local refusals, nothing sent) ---------------------------------------------


class KnownBadCredentials(BrokerLinkError):
    """Refused locally: the vendor already rejected this combination (nothing was sent or charged).

    ``reason`` is the vendor code it was rejected with (e.g. ``E_AUTH``), ``first_seen`` when
    (aware UTC datetime), ``rejected_as`` the exception class the vendor's answer raised, and the
    message says what must change first. ``with_options(credential_guard=False)`` sends anyway.
    """

    def __init__(
        self,
        message: str,
        *,
        reason: str,
        first_seen: datetime,
        operation: str = "",
        expires_at: datetime | None = None,
        recommended_resource_slots: int | None = None,
        rejected_as: type[Exception] | None = None,
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.first_seen = first_seen
        self.operation = operation
        self.expires_at = expires_at
        self.recommended_resource_slots = recommended_resource_slots
        self.rejected_as = rejected_as

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(reason={self.reason!r}, operation={self.operation!r}, "
            f"first_seen={self.first_seen!r})"
        )


class TooManyRejectedAttempts(BrokerLinkError):
    """Refused locally: this end user had too many rejected attempts; ``retry_after`` seconds left
    of the cool-down (``end_user_id`` is the caller's own id, kept out of the message)."""

    def __init__(
        self, message: str, *, retry_after: float, end_user_id: str | None, operation: str = ""
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.end_user_id = end_user_id
        self.operation = operation

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(operation={self.operation!r}, retry_after={self.retry_after!r})"
        )


class CredentialCacheUnavailable(BrokerLinkError):
    """The credential guard's store could not be read or written (raised only when the store is
    configured with ``on_error="raise"``; by default the request goes through with a warning)."""


__all__ = [name for name, value in list(globals().items()) if isinstance(value, type)]
