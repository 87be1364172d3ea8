"""The parts of identity's customer events catalog reads."""

import uuid

from kit.schemas import CamelModel


class CustomerFacts(CamelModel):
    """`data` of CustomerCreated / CustomerUpdated; fields catalog does not need are ignored."""

    id: uuid.UUID
    email: str
    name: str


class CustomerRemoval(CamelModel):
    """`data` of CustomerDeleted."""

    id: uuid.UUID
