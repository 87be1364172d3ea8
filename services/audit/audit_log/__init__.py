"""The audit log: recording every company's events and reading them back, newest first."""
