"""TEMPORARY stand-in for ``kit.clients`` (the lead's kit commit): removed once it lands."""

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request

from kit.errors import Unavailable
from kit.web import call_on_behalf


@dataclass
class IdentityClient:
    request: Request

    async def contact(self) -> str:
        """The account's email, asked of identity for the buyer (a token exchanged for
        identity, which answers orders alone, and only with the buyer's own address)."""
        url = f"{self.request.app.state.settings.identity_url}/internal/users/contact"
        response = await call_on_behalf(self.request, "identity", "GET", url)
        if response.status_code != 200:
            raise Unavailable("the identity service cannot answer right now")
        return str(response.json()["email"])


@dataclass
class SubsidiesClient:
    request: Request

    async def reserve(self, order_id: str, lines: list[dict[str, Any]]) -> int:
        """Ask the subsidies service, for the buyer, to reserve what they are entitled to."""
        body = {
            "order_id": order_id,
            "lines": [
                {
                    "kind": line["kind"],
                    "quantity": line["quantity"],
                    "unit_price_cents": line["unit_price_cents"],
                }
                for line in lines
            ],
        }
        url = f"{self.request.app.state.settings.subsidies_url}/internal/grants"
        response = await call_on_behalf(self.request, "subsidies", "POST", url, json=body)
        if response.status_code != 200:
            raise Unavailable("the subsidies service cannot answer right now; try again")
        return int(response.json()["subsidy_cents"])


@dataclass
class Clients:
    identity: IdentityClient
    subsidies: SubsidiesClient


def get_clients(request: Request) -> Clients:
    return Clients(IdentityClient(request), SubsidiesClient(request))


ClientsDep = Annotated[Clients, Depends(get_clients)]
