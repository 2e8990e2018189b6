from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.patient import Patient
from ...models.patient_patch import PatientPatch
from ...types import Response


def _get_kwargs(
    external_id: str,
    *,
    body: PatientPatch,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "patch",
        "url": "/patients/{external_id}".format(
            external_id=quote(str(external_id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | Patient | None:
    if response.status_code == 200:
        response_200 = Patient.from_dict(response.json())

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
) -> Response[Error | Patient]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    external_id: str,
    *,
    client: AuthenticatedClient,
    body: PatientPatch,
) -> Response[Error | Patient]:
    """Edit a connected patient

     Edits a connected patient: add a condition (new active episode of care); pause a
    condition (its active episode of care moves to `finished`); track a condition (new active
    episode of care, and encounters created automatically at the given frequency); edit basic
    information.

    Assumption: the method and path; the patient is addressed by its external id; the `conditions` list
    says what
    each listed condition becomes (a new pathologyCode/bodySiteCode pair is added,
    `isTracked: false` pauses it, `isTracked: true` with a `frequency` tracks it); conditions
    not listed are left as they are. A `frequency` on an untracked condition is 422.

    Args:
        external_id (str): An id in the integrator's platform. Assumption: any non-empty string of
            at most 255 characters.
        body (PatientPatch): What to change on a connected patient; absent fields are left as they
            are.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | Patient]
    """

    kwargs = _get_kwargs(
        external_id=external_id,
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    external_id: str,
    *,
    client: AuthenticatedClient,
    body: PatientPatch,
) -> Error | Patient | None:
    """Edit a connected patient

     Edits a connected patient: add a condition (new active episode of care); pause a
    condition (its active episode of care moves to `finished`); track a condition (new active
    episode of care, and encounters created automatically at the given frequency); edit basic
    information.

    Assumption: the method and path; the patient is addressed by its external id; the `conditions` list
    says what
    each listed condition becomes (a new pathologyCode/bodySiteCode pair is added,
    `isTracked: false` pauses it, `isTracked: true` with a `frequency` tracks it); conditions
    not listed are left as they are. A `frequency` on an untracked condition is 422.

    Args:
        external_id (str): An id in the integrator's platform. Assumption: any non-empty string of
            at most 255 characters.
        body (PatientPatch): What to change on a connected patient; absent fields are left as they
            are.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | Patient
    """

    return sync_detailed(
        external_id=external_id,
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    external_id: str,
    *,
    client: AuthenticatedClient,
    body: PatientPatch,
) -> Response[Error | Patient]:
    """Edit a connected patient

     Edits a connected patient: add a condition (new active episode of care); pause a
    condition (its active episode of care moves to `finished`); track a condition (new active
    episode of care, and encounters created automatically at the given frequency); edit basic
    information.

    Assumption: the method and path; the patient is addressed by its external id; the `conditions` list
    says what
    each listed condition becomes (a new pathologyCode/bodySiteCode pair is added,
    `isTracked: false` pauses it, `isTracked: true` with a `frequency` tracks it); conditions
    not listed are left as they are. A `frequency` on an untracked condition is 422.

    Args:
        external_id (str): An id in the integrator's platform. Assumption: any non-empty string of
            at most 255 characters.
        body (PatientPatch): What to change on a connected patient; absent fields are left as they
            are.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | Patient]
    """

    kwargs = _get_kwargs(
        external_id=external_id,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    external_id: str,
    *,
    client: AuthenticatedClient,
    body: PatientPatch,
) -> Error | Patient | None:
    """Edit a connected patient

     Edits a connected patient: add a condition (new active episode of care); pause a
    condition (its active episode of care moves to `finished`); track a condition (new active
    episode of care, and encounters created automatically at the given frequency); edit basic
    information.

    Assumption: the method and path; the patient is addressed by its external id; the `conditions` list
    says what
    each listed condition becomes (a new pathologyCode/bodySiteCode pair is added,
    `isTracked: false` pauses it, `isTracked: true` with a `frequency` tracks it); conditions
    not listed are left as they are. A `frequency` on an untracked condition is 422.

    Args:
        external_id (str): An id in the integrator's platform. Assumption: any non-empty string of
            at most 255 characters.
        body (PatientPatch): What to change on a connected patient; absent fields are left as they
            are.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | Patient
    """

    return (
        await asyncio_detailed(
            external_id=external_id,
            client=client,
            body=body,
        )
    ).parsed
