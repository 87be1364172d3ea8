"""The parts of identity's company events webhooks reads."""

from kit.schemas import CamelModel


class CompanyFacts(CamelModel):
    """`data` of CompanyCreated / CompanyUpdated; fields webhooks does not need are ignored."""

    name: str
    slug: str
