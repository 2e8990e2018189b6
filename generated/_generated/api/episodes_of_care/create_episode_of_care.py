from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.episode_of_care import EpisodeOfCare
from ...models.episode_of_care_create import EpisodeOfCareCreate
from ...models.error import Error
from ...types import Response


def _get_kwargs(
    condition_id: str,
    *,
    body: EpisodeOfCareCreate,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/conditions/{condition_id}/episodes-of-care".format(
            condition_id=quote(str(condition_id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> EpisodeOfCare | Error | None:
    if response.status_code == 201:
        response_201 = EpisodeOfCare.from_dict(response.json())

        return response_201

    if response.status_code == 400:
        response_400 = Error.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Error.from_dict(response.json())

        return response_401

    if response.status_code == 404:
        response_404 = Error.from_dict(response.json())

        return response_404

    if response.status_code == 409:
        response_409 = Error.from_dict(response.json())

        return response_409

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
) -> Response[EpisodeOfCare | Error]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    condition_id: str,
    *,
    client: AuthenticatedClient,
    body: EpisodeOfCareCreate,
) -> Response[EpisodeOfCare | Error]:
    """New episode of care for a condition

     New episode of care for a patient's condition. An active episode cannot be created if
    the condition already has an active one.

    Assumption: the method and path; a new episode is always `active`; the refusal is 409 with errorCode
    `ACTIVE_EPISODE_OF_CARE_EXISTS`.

    Args:
        condition_id (str):
        body (EpisodeOfCareCreate): A new (active) episode of care. Assumption: only the
            integrator's id can be given.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[EpisodeOfCare | Error]
    """

    kwargs = _get_kwargs(
        condition_id=condition_id,
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    condition_id: str,
    *,
    client: AuthenticatedClient,
    body: EpisodeOfCareCreate,
) -> EpisodeOfCare | Error | None:
    """New episode of care for a condition

     New episode of care for a patient's condition. An active episode cannot be created if
    the condition already has an active one.

    Assumption: the method and path; a new episode is always `active`; the refusal is 409 with errorCode
    `ACTIVE_EPISODE_OF_CARE_EXISTS`.

    Args:
        condition_id (str):
        body (EpisodeOfCareCreate): A new (active) episode of care. Assumption: only the
            integrator's id can be given.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        EpisodeOfCare | Error
    """

    return sync_detailed(
        condition_id=condition_id,
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    condition_id: str,
    *,
    client: AuthenticatedClient,
    body: EpisodeOfCareCreate,
) -> Response[EpisodeOfCare | Error]:
    """New episode of care for a condition

     New episode of care for a patient's condition. An active episode cannot be created if
    the condition already has an active one.

    Assumption: the method and path; a new episode is always `active`; the refusal is 409 with errorCode
    `ACTIVE_EPISODE_OF_CARE_EXISTS`.

    Args:
        condition_id (str):
        body (EpisodeOfCareCreate): A new (active) episode of care. Assumption: only the
            integrator's id can be given.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[EpisodeOfCare | Error]
    """

    kwargs = _get_kwargs(
        condition_id=condition_id,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    condition_id: str,
    *,
    client: AuthenticatedClient,
    body: EpisodeOfCareCreate,
) -> EpisodeOfCare | Error | None:
    """New episode of care for a condition

     New episode of care for a patient's condition. An active episode cannot be created if
    the condition already has an active one.

    Assumption: the method and path; a new episode is always `active`; the refusal is 409 with errorCode
    `ACTIVE_EPISODE_OF_CARE_EXISTS`.

    Args:
        condition_id (str):
        body (EpisodeOfCareCreate): A new (active) episode of care. Assumption: only the
            integrator's id can be given.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        EpisodeOfCare | Error
    """

    return (
        await asyncio_detailed(
            condition_id=condition_id,
            client=client,
            body=body,
        )
    ).parsed
