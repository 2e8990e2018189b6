from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.auth_token import AuthToken
from ...models.error import Error
from ...models.patient_auth_tokens_request import PatientAuthTokensRequest
from ...types import Response


def _get_kwargs(
    *,
    body: PatientAuthTokensRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/patients/auth-tokens",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | list[AuthToken] | None:
    if response.status_code == 200:
        response_200 = []
        _response_200 = response.json()
        for response_200_item_data in _response_200:
            response_200_item = AuthToken.from_dict(response_200_item_data)

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
) -> Response[Error | list[AuthToken]]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: PatientAuthTokensRequest,
) -> Response[Error | list[AuthToken]]:
    """Generate login tokens for patients

     Generates tokens so a patient can log in directly. Optional param
    `sendLinkToPatientByEmail`: the patient also receives an email with the login link.
    Login link: `https://app.legit.health/u/home?token=<token>&refresh_token=<refresh_token>`.

    Assumption: the method and path; POST with a JSON body of at most 100 external ids;
    unknown ids are absent from the answer.

    Args:
        body (PatientAuthTokensRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | list[AuthToken]]
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
    body: PatientAuthTokensRequest,
) -> Error | list[AuthToken] | None:
    """Generate login tokens for patients

     Generates tokens so a patient can log in directly. Optional param
    `sendLinkToPatientByEmail`: the patient also receives an email with the login link.
    Login link: `https://app.legit.health/u/home?token=<token>&refresh_token=<refresh_token>`.

    Assumption: the method and path; POST with a JSON body of at most 100 external ids;
    unknown ids are absent from the answer.

    Args:
        body (PatientAuthTokensRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | list[AuthToken]
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: PatientAuthTokensRequest,
) -> Response[Error | list[AuthToken]]:
    """Generate login tokens for patients

     Generates tokens so a patient can log in directly. Optional param
    `sendLinkToPatientByEmail`: the patient also receives an email with the login link.
    Login link: `https://app.legit.health/u/home?token=<token>&refresh_token=<refresh_token>`.

    Assumption: the method and path; POST with a JSON body of at most 100 external ids;
    unknown ids are absent from the answer.

    Args:
        body (PatientAuthTokensRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | list[AuthToken]]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: PatientAuthTokensRequest,
) -> Error | list[AuthToken] | None:
    """Generate login tokens for patients

     Generates tokens so a patient can log in directly. Optional param
    `sendLinkToPatientByEmail`: the patient also receives an email with the login link.
    Login link: `https://app.legit.health/u/home?token=<token>&refresh_token=<refresh_token>`.

    Assumption: the method and path; POST with a JSON body of at most 100 external ids;
    unknown ids are absent from the answer.

    Args:
        body (PatientAuthTokensRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | list[AuthToken]
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
