"""Bot API errors, worded as the real Bot API words them.

Client libraries match on these descriptions (python-telegram-bot turns "Forbidden: bot was
blocked by the user" into :class:`telegram.error.Forbidden`, and a ``retry_after`` parameter into
:class:`telegram.error.RetryAfter`), so the texts here are the platform's own.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A failed Bot API call: becomes ``{"ok": false, "error_code": ..., ...}`` on the wire."""

    def __init__(
        self, error_code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(f"{error_code} {description}")
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


def forbidden(detail: str) -> ApiError:
    return ApiError(403, f"Forbidden: {detail}")


def too_many_requests(retry_after: int) -> ApiError:
    return ApiError(
        429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
    )


def unauthorized() -> ApiError:
    return ApiError(401, "Unauthorized")


def not_found() -> ApiError:
    return ApiError(404, "Not Found")


def conflict(detail: str) -> ApiError:
    return ApiError(409, f"Conflict: {detail}")


def server_error(status: int) -> ApiError:
    descriptions = {
        500: "Internal Server Error",
        502: "Bad Gateway",
        503: "Service Unavailable",
        504: "Gateway Timeout",
    }
    return ApiError(status, descriptions.get(status, "Internal Server Error"))


CHAT_NOT_FOUND = "chat not found"
BOT_BLOCKED = "bot was blocked by the user"
CANNOT_INITIATE = "bot can't initiate conversation with a user"
