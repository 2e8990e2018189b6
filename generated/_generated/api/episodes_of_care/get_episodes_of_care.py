from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.episode_of_care import EpisodeOfCare
from ...models.error import Error
from ...types import Response


def _get_kwargs(
    condition_id: str,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/conditions/{condition_id}/episodes-of-care".format(
            condition_id=quote(str(condition_id), safe=""),
        ),
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | list[EpisodeOfCare] | None:
    if response.status_code == 200:
        response_200 = []
        _response_200 = response.json()
        for response_200_item_data in _response_200:
            response_200_item = EpisodeOfCare.from_dict(response_200_item_data)

            response_200.append(response_200_item)

        return response_200

    if response.status_code == 400:
        response_400 = Error.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Error.from_dict(response.json())

        return response_401

    if response.status_code == 404:
        response_404 = Error.from_dict(response.json())

        return response_404

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
) -> Response[Error | list[EpisodeOfCare]]:
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
) -> Response[Error | list[EpisodeOfCare]]:
    """Episodes of care of a condition

     Fetches the episodes of care of one condition, by the condition's id (as returned by
    getPatients). Episodes may also be created on the Legit.Health side, by the patient or
    the doctor.

    Assumption: the method and path; the answer is a JSON array, oldest first.

    Args:
        condition_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | list[EpisodeOfCare]]
    """

    kwargs = _get_kwargs(
        condition_id=condition_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    condition_id: str,
    *,
    client: AuthenticatedClient,
) -> Error | list[EpisodeOfCare] | None:
    """Episodes of care of a condition

     Fetches the episodes of care of one condition, by the condition's id (as returned by
    getPatients). Episodes may also be created on the Legit.Health side, by the patient or
    the doctor.

    Assumption: the method and path; the answer is a JSON array, oldest first.

    Args:
        condition_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | list[EpisodeOfCare]
    """

    return sync_detailed(
        condition_id=condition_id,
        client=client,
    ).parsed


async def asyncio_detailed(
    condition_id: str,
    *,
    client: AuthenticatedClient,
) -> Response[Error | list[EpisodeOfCare]]:
    """Episodes of care of a condition

     Fetches the episodes of care of one condition, by the condition's id (as returned by
    getPatients). Episodes may also be created on the Legit.Health side, by the patient or
    the doctor.

    Assumption: the method and path; the answer is a JSON array, oldest first.

    Args:
        condition_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | list[EpisodeOfCare]]
    """

    kwargs = _get_kwargs(
        condition_id=condition_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    condition_id: str,
    *,
    client: AuthenticatedClient,
) -> Error | list[EpisodeOfCare] | None:
    """Episodes of care of a condition

     Fetches the episodes of care of one condition, by the condition's id (as returned by
    getPatients). Episodes may also be created on the Legit.Health side, by the patient or
    the doctor.

    Assumption: the method and path; the answer is a JSON array, oldest first.

    Args:
        condition_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | list[EpisodeOfCare]
    """

    return (
        await asyncio_detailed(
            condition_id=condition_id,
            client=client,
        )
    ).parsed
