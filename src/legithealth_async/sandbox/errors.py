"""What the sandbox raises internally: answers in the contract's error body, and drops."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An answer in the documented error body ``{success, message, errorCode}``.

    ``message`` must never carry request values (names, emails, phones, tokens, ids).
    """

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message

    def body(self) -> dict[str, Any]:
        """The JSON error body."""
        return {"success": False, "message": self.message, "errorCode": self.code}


class DroppedConnection(Exception):
    """Raised by the app after ``http.response.start`` to make the server close the connection.

    Under uvicorn this closes the socket mid-response; the in-process transport turns it into
    ``httpx.RemoteProtocolError``.
    """

    def __init__(self) -> None:
        super().__init__("connection dropped by sandbox fault injection")


def validation_error(message: str) -> ApiError:
    """400 VALIDATION_ERROR."""
    return ApiError(400, "VALIDATION_ERROR", message)


def not_found(what: str) -> ApiError:
    """404 NOT_FOUND for ``what`` (e.g. "Patient")."""
    return ApiError(404, "NOT_FOUND", f"{what} not found")


def unprocessable(message: str) -> ApiError:
    """422 UNPROCESSABLE."""
    return ApiError(422, "UNPROCESSABLE", message)


def not_implemented(operation_id: str) -> ApiError:
    """501 NOT_IMPLEMENTED: the contract has the operation, the sandbox no rule for it yet."""
    return ApiError(501, "NOT_IMPLEMENTED", f"The sandbox does not implement {operation_id} (yet)")
