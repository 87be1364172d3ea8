"""Request dependencies the identity endpoints share: settings and the Redis directories identity writes."""

from typing import Annotated

from fastapi import Depends, Request

from services.identity.accounts.principals import PrincipalDirectory
from services.identity.api_keys.directory import ApiKeyDirectory
from services.identity.companies.directory import StorefrontDirectory
from services.identity.settings import IdentitySettings


def _settings(request: Request) -> IdentitySettings:
    settings: IdentitySettings = request.app.state.settings
    return settings


def _storefront_directory(request: Request) -> StorefrontDirectory:
    directory: StorefrontDirectory = request.app.state.storefront_directory
    return directory


def _principal_directory(request: Request) -> PrincipalDirectory:
    directory: PrincipalDirectory = request.app.state.principal_directory
    return directory


def _api_key_directory(request: Request) -> ApiKeyDirectory:
    directory: ApiKeyDirectory = request.app.state.api_key_directory
    return directory


Settings = Annotated[IdentitySettings, Depends(_settings)]
Directory = Annotated[StorefrontDirectory, Depends(_storefront_directory)]
Principals = Annotated[PrincipalDirectory, Depends(_principal_directory)]
ApiKeys = Annotated[ApiKeyDirectory, Depends(_api_key_directory)]
