from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.encounter import Encounter
from ...models.encounter_create import EncounterCreate
from ...models.error import Error
from ...types import Response


def _get_kwargs(
    episode_of_care_id: str,
    *,
    body: EncounterCreate,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/episodes-of-care/{episode_of_care_id}/encounters".format(
            episode_of_care_id=quote(str(episode_of_care_id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Encounter | Error | None:
    if response.status_code == 201:
        response_201 = Encounter.from_dict(response.json())

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
) -> Response[Encounter | Error]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    episode_of_care_id: str,
    *,
    client: AuthenticatedClient,
    body: EncounterCreate,
) -> Response[Encounter | Error]:
    """Create an encounter

     Creates an encounter. Field `planned_for`: in the future → status `scheduled`; now or in
    the past → status `ready` (the patient can complete it right now).

    Assumption: the method and path; an encounter belongs to an episode of care, addressed by its
    internal id.

    Args:
        episode_of_care_id (str):
        body (EncounterCreate):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Encounter | Error]
    """

    kwargs = _get_kwargs(
        episode_of_care_id=episode_of_care_id,
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    episode_of_care_id: str,
    *,
    client: AuthenticatedClient,
    body: EncounterCreate,
) -> Encounter | Error | None:
    """Create an encounter

     Creates an encounter. Field `planned_for`: in the future → status `scheduled`; now or in
    the past → status `ready` (the patient can complete it right now).

    Assumption: the method and path; an encounter belongs to an episode of care, addressed by its
    internal id.

    Args:
        episode_of_care_id (str):
        body (EncounterCreate):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Encounter | Error
    """

    return sync_detailed(
        episode_of_care_id=episode_of_care_id,
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    episode_of_care_id: str,
    *,
    client: AuthenticatedClient,
    body: EncounterCreate,
) -> Response[Encounter | Error]:
    """Create an encounter

     Creates an encounter. Field `planned_for`: in the future → status `scheduled`; now or in
    the past → status `ready` (the patient can complete it right now).

    Assumption: the method and path; an encounter belongs to an episode of care, addressed by its
    internal id.

    Args:
        episode_of_care_id (str):
        body (EncounterCreate):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Encounter | Error]
    """

    kwargs = _get_kwargs(
        episode_of_care_id=episode_of_care_id,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    episode_of_care_id: str,
    *,
    client: AuthenticatedClient,
    body: EncounterCreate,
) -> Encounter | Error | None:
    """Create an encounter

     Creates an encounter. Field `planned_for`: in the future → status `scheduled`; now or in
    the past → status `ready` (the patient can complete it right now).

    Assumption: the method and path; an encounter belongs to an episode of care, addressed by its
    internal id.

    Args:
        episode_of_care_id (str):
        body (EncounterCreate):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Encounter | Error
    """

    return (
        await asyncio_detailed(
            episode_of_care_id=episode_of_care_id,
            client=client,
            body=body,
        )
    ).parsed
