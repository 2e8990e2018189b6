from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.practitioner import Practitioner
from ...models.practitioner_create import PractitionerCreate
from ...types import Response


def _get_kwargs(
    *,
    body: PractitionerCreate,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/practitioners",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | Practitioner | None:
    if response.status_code == 201:
        response_201 = Practitioner.from_dict(response.json())

        return response_201

    if response.status_code == 400:
        response_400 = Error.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Error.from_dict(response.json())

        return response_401

    if response.status_code == 409:
        response_409 = Error.from_dict(response.json())

        return response_409

    if response.status_code == 422:
        response_422 = Error.from_dict(response.json())

        return response_422

    if response.status_code == 429:
        response_429 = Error.from_dict(response.json())

        return response_429

    if response.status_code == 500:
        response_500 = Error.from_dict(response.json())

        return response_500

    if response.status_code == 503:
        response_503 = Error.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Error | Practitioner]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: PractitionerCreate,
) -> Response[Error | Practitioner]:
    """Connect a practitioner

     Connects a practitioner; field `speciality` (this spelling) optional but recommended; the
    practitioner gets a verification email.

    Assumption: the method and path; `email` is required; a known `externalId` answers 409
    `PRACTITIONER_ALREADY_EXISTS`; an unknown speciality is 422.

    Args:
        body (PractitionerCreate):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | Practitioner]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    body: PractitionerCreate,
) -> Error | Practitioner | None:
    """Connect a practitioner

     Connects a practitioner; field `speciality` (this spelling) optional but recommended; the
    practitioner gets a verification email.

    Assumption: the method and path; `email` is required; a known `externalId` answers 409
    `PRACTITIONER_ALREADY_EXISTS`; an unknown speciality is 422.

    Args:
        body (PractitionerCreate):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | Practitioner
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: PractitionerCreate,
) -> Response[Error | Practitioner]:
    """Connect a practitioner

     Connects a practitioner; field `speciality` (this spelling) optional but recommended; the
    practitioner gets a verification email.

    Assumption: the method and path; `email` is required; a known `externalId` answers 409
    `PRACTITIONER_ALREADY_EXISTS`; an unknown speciality is 422.

    Args:
        body (PractitionerCreate):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | Practitioner]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: PractitionerCreate,
) -> Error | Practitioner | None:
    """Connect a practitioner

     Connects a practitioner; field `speciality` (this spelling) optional but recommended; the
    practitioner gets a verification email.

    Assumption: the method and path; `email` is required; a known `externalId` answers 409
    `PRACTITIONER_ALREADY_EXISTS`; an unknown speciality is 422.

    Args:
        body (PractitionerCreate):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | Practitioner
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
