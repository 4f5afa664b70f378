"""Exit codes of ``brokerlink call``: one per error family, and the one-line error message.

A script can branch on the family (retry on 6/7/8, fix input on 2/5, fix credentials on 3)
without parsing stderr. The table is matched along the exception's class hierarchy, so an error
class a plugin adds (``brokerlink_error_classes``) lands in its parent's family.
"""

from __future__ import annotations

from brokerlink import errors

OK = 0
INTERNAL = 1  # a bug in brokerlink: the message says what escaped
INTERRUPTED = 130

# code -> (meaning, error classes), in the order the table is matched along an exception's MRO
FAMILIES: dict[int, tuple[str, tuple[type[BaseException], ...]]] = {
    2: (
        "bad input or configuration; nothing was sent",
        (errors.InvalidRequest, errors.PluginError),
    ),
    3: (
        "credentials rejected or not allowed",
        (errors.AuthenticationError, errors.PermissionDenied),
    ),
    4: ("no such resource", (errors.NotFound,)),
    5: (
        "rejected by the vendor",
        (errors.ValidationError, errors.Conflict),
    ),
    6: ("rate limited", (errors.RateLimited,)),
    7: ("vendor failure or unavailable", (errors.ServerError,)),
    8: ("no answer: connection failed or timed out", (errors.TransportError,)),
    9: (
        "unexpected answer",
        (errors.UnexpectedResponse, errors.ApiError),
    ),
    10: (
        "refused locally or gave up waiting",
        (errors.BrokerLinkError,),
    ),
}
_BY_CLASS = {cls: code for code, (_, classes) in FAMILIES.items() for cls in classes}


def exit_code(exc: BaseException) -> int:
    """The code of the nearest class of ``exc`` in the table; 1 for anything else."""
    for cls in type(exc).__mro__:
        code = _BY_CLASS.get(cls)
        if code is not None:
            return code
    return INTERNAL


def one_line(exc: BaseException, where: str | None = None) -> str:
    """``ErrorClass: message`` on one line; API errors add the request id and advised wait.

    ``where`` is the request that failed (``GET https://host/path``, no secrets), named in the
    line of HTTP and connection errors. Only the exception's own message, its field errors and
    the title of an HTML page are used: brokerlink's errors never carry the credentials or bodies
    we sent.
    """
    from brokerlink.cli.report import describe

    text = describe(exc, where)
    if isinstance(exc, errors.ApiError) and exc.request_id:
        text += f" [request id {exc.request_id}]"
    if isinstance(exc, errors.RateLimited) and exc.retry_after is not None:
        text += f" [retry after {exc.retry_after:g} s]"
    if exit_code(exc) == INTERNAL:
        return f"InternalError: {type(exc).__name__}: {text} (a bug in brokerlink; please report)"
    return f"{type(exc).__name__}: {text}"
