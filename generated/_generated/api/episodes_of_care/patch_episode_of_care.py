from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.episode_of_care import EpisodeOfCare
from ...models.episode_of_care_patch import EpisodeOfCarePatch
from ...models.error import Error
from ...types import Response


def _get_kwargs(
    episode_of_care_id: str,
    *,
    body: EpisodeOfCarePatch,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "patch",
        "url": "/episodes-of-care/{episode_of_care_id}".format(
            episode_of_care_id=quote(str(episode_of_care_id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> EpisodeOfCare | Error | None:
    if response.status_code == 200:
        response_200 = EpisodeOfCare.from_dict(response.json())

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
) -> Response[EpisodeOfCare | Error]:
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
    body: EpisodeOfCarePatch,
) -> Response[EpisodeOfCare | Error]:
    """Match an episode of care with the integrator's id

     Matches an episode of care with the integrator's own id. Addressed by Legit.Health's
    internal episode id. Recommended flow: getEpisodesOfCare for the condition, then patch by
    internal id.

    Assumption: the method and path; the body is `{externalId}` (null clears it).

    Args:
        episode_of_care_id (str):
        body (EpisodeOfCarePatch):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[EpisodeOfCare | Error]
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
    body: EpisodeOfCarePatch,
) -> EpisodeOfCare | Error | None:
    """Match an episode of care with the integrator's id

     Matches an episode of care with the integrator's own id. Addressed by Legit.Health's
    internal episode id. Recommended flow: getEpisodesOfCare for the condition, then patch by
    internal id.

    Assumption: the method and path; the body is `{externalId}` (null clears it).

    Args:
        episode_of_care_id (str):
        body (EpisodeOfCarePatch):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        EpisodeOfCare | Error
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
    body: EpisodeOfCarePatch,
) -> Response[EpisodeOfCare | Error]:
    """Match an episode of care with the integrator's id

     Matches an episode of care with the integrator's own id. Addressed by Legit.Health's
    internal episode id. Recommended flow: getEpisodesOfCare for the condition, then patch by
    internal id.

    Assumption: the method and path; the body is `{externalId}` (null clears it).

    Args:
        episode_of_care_id (str):
        body (EpisodeOfCarePatch):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[EpisodeOfCare | Error]
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
    body: EpisodeOfCarePatch,
) -> EpisodeOfCare | Error | None:
    """Match an episode of care with the integrator's id

     Matches an episode of care with the integrator's own id. Addressed by Legit.Health's
    internal episode id. Recommended flow: getEpisodesOfCare for the condition, then patch by
    internal id.

    Assumption: the method and path; the body is `{externalId}` (null clears it).

    Args:
        episode_of_care_id (str):
        body (EpisodeOfCarePatch):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        EpisodeOfCare | Error
    """

    return (
        await asyncio_detailed(
            episode_of_care_id=episode_of_care_id,
            client=client,
            body=body,
        )
    ).parsed
