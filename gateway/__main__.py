"""`python -m gateway`: serve the gateway on GATEWAY_HOST:GATEWAY_PORT."""

import uvicorn

from gateway.app import create_app
from gateway.settings import GatewaySettings
from kit.logging import configure_logging
from kit.settings import PlatformSettings


def main() -> None:
    settings = GatewaySettings()
    platform = PlatformSettings()
    configure_logging("gateway", platform.log_level)
    app = create_app(settings, platform)
    uvicorn.run(app, host=settings.host, port=settings.port, log_config=None, access_log=False)


if __name__ == "__main__":
    main()
