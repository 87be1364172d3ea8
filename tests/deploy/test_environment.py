"""The settings classes really expose the variables the deployment files and the README rely on."""

from tests.deploy.environment import environment_variables


def test_environment_variables_are_collected_from_every_settings_class():
    names = environment_variables()

    assert {"DISTRIBU_BROKER_URL", "DISTRIBU_INTERNAL_SECRET", "DISTRIBU_NAMESPACE"} <= names
    assert {f"{service}_DATABASE_URL" for service in ("IDENTITY", "CATALOG", "ORDERS", "AUDIT", "WEBHOOKS")} <= names
    assert {"GATEWAY_PORT", "GATEWAY_PUBLIC_URL", "GATEWAY_IDENTITY_URL", "IDENTITY_TRIAL_DAYS"} <= names
