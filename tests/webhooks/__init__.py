"""Tests of the webhooks service."""
