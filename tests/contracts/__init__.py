"""Contract tests: what producers publish and consumers accept is exactly what `contracts/` defines."""
