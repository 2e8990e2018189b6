from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.patient import Patient
from ...types import UNSET, Response


def _get_kwargs(
    *,
    external_ids: list[str],
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_external_ids = external_ids

    params["externalIds[]"] = json_external_ids

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/patients",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | list[Patient] | None:
    if response.status_code == 200:
        response_200 = []
        _response_200 = response.json()
        for response_200_item_data in _response_200:
            response_200_item = Patient.from_dict(response_200_item_data)

            response_200.append(response_200_item)

        return response_200

    if response.status_code == 400:
        response_400 = Error.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Error.from_dict(response.json())

        return response_401

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
) -> Response[Error | list[Patient]]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    external_ids: list[str],
) -> Response[Error | list[Patient]]:
    """Fetch patients by their external ids

     Fetches patients by the ids they have in the integrator's platform: URL param
    `externalIds`, e.g. `?externalIds[]=a449666c710c&externalIds[]=baa3cf93-6f1c`. Returns
    each patient's `conditions`, each with its id.

    Assumption: the method and path; at most 100 ids a request (400 beyond); unknown ids are simply
    absent from the
    answer; the answer is a JSON array.

    Args:
        external_ids (list[str]):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | list[Patient]]
    """

    kwargs = _get_kwargs(
        external_ids=external_ids,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    external_ids: list[str],
) -> Error | list[Patient] | None:
    """Fetch patients by their external ids

     Fetches patients by the ids they have in the integrator's platform: URL param
    `externalIds`, e.g. `?externalIds[]=a449666c710c&externalIds[]=baa3cf93-6f1c`. Returns
    each patient's `conditions`, each with its id.

    Assumption: the method and path; at most 100 ids a request (400 beyond); unknown ids are simply
    absent from the
    answer; the answer is a JSON array.

    Args:
        external_ids (list[str]):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | list[Patient]
    """

    return sync_detailed(
        client=client,
        external_ids=external_ids,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    external_ids: list[str],
) -> Response[Error | list[Patient]]:
    """Fetch patients by their external ids

     Fetches patients by the ids they have in the integrator's platform: URL param
    `externalIds`, e.g. `?externalIds[]=a449666c710c&externalIds[]=baa3cf93-6f1c`. Returns
    each patient's `conditions`, each with its id.

    Assumption: the method and path; at most 100 ids a request (400 beyond); unknown ids are simply
    absent from the
    answer; the answer is a JSON array.

    Args:
        external_ids (list[str]):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | list[Patient]]
    """

    kwargs = _get_kwargs(
        external_ids=external_ids,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    external_ids: list[str],
) -> Error | list[Patient] | None:
    """Fetch patients by their external ids

     Fetches patients by the ids they have in the integrator's platform: URL param
    `externalIds`, e.g. `?externalIds[]=a449666c710c&externalIds[]=baa3cf93-6f1c`. Returns
    each patient's `conditions`, each with its id.

    Assumption: the method and path; at most 100 ids a request (400 beyond); unknown ids are simply
    absent from the
    answer; the answer is a JSON array.

    Args:
        external_ids (list[str]):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | list[Patient]
    """

    return (
        await asyncio_detailed(
            client=client,
            external_ids=external_ids,
        )
    ).parsed
