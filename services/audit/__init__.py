"""The audit service: the append-only audit log, built from every service's events."""
