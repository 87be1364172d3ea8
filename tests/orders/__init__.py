"""Tests of the orders service."""
