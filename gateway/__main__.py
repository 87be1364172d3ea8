"""`python -m gateway`: serve the gateway on GATEWAY_HOST:GATEWAY_PORT."""

from gateway.app import create_app
from gateway.settings import GatewaySettings
from kit.cli import serve
from kit.logging import configure_logging
from kit.settings import PlatformSettings


def main() -> None:
    settings = GatewaySettings()
    platform = PlatformSettings()
    configure_logging("gateway", platform.log_level)
    serve(create_app(settings, platform), host=settings.host, port=settings.port)


if __name__ == "__main__":
    main()
