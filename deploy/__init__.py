"""How Distribu runs: embedded mode (one process), the local full topology, and the container manifests."""
