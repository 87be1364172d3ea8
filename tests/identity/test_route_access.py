"""Identity refuses, route by route, every caller its declared access excludes, whatever the gateway let by."""

import hashlib
import uuid

from services.identity.app import SPEC
from tests.identity.conftest import Identity
from tests.support.access import PROBLEM_JSON, refusals_that_went_wrong, row_counts


async def test_every_route_refuses_the_callers_its_access_excludes_and_changes_nothing(identity: Identity) -> None:
    account = await identity.signup()
    created = await identity.client.post(
        "/api/v1/api-keys", json={"name": "ERP", "scopes": ["catalog:read"]}, headers=identity.owner_of(account)
    )
    assert created.status_code == 201, created.text
    # Real keys for the gateway's lookups, so a lookup that answered the wrong caller would find something.
    path_values = {
        "slug": account["company"]["slug"],
        "ref": account["membershipId"],
        "secret_hash": hashlib.sha256(created.json()["secret"].encode()).hexdigest(),
    }
    before = await row_counts(identity.database, SPEC.metadata)

    wrong = await refusals_that_went_wrong(
        identity.client,
        identity.signer,
        "identity",
        SPEC.routers,
        company_id=uuid.UUID(account["company"]["id"]),
        staff_user_id=uuid.UUID(account["user"]["id"]),
        path_values=path_values,
    )

    assert wrong == []
    assert await row_counts(identity.database, SPEC.metadata) == before


async def test_internal_lookups_answer_the_gateways_own_calls_only(identity: Identity) -> None:
    account = await identity.signup()
    company_id = uuid.UUID(account["company"]["id"])
    path = f"/internal/storefronts/{account['company']['slug']}"

    from_the_gateway = await identity.client.get(path, headers=identity.anonymous(internal=True))
    through_a_public_route = await identity.client.get(path, headers=identity.owner_of(account))
    anonymous = await identity.client.get(path, headers=identity.anonymous(company_id=company_id))

    assert from_the_gateway.status_code == 200
    assert from_the_gateway.json()["companyId"] == str(company_id)
    for refused in (through_a_public_route, anonymous):
        assert refused.status_code == 404
        assert refused.headers["content-type"] == PROBLEM_JSON
