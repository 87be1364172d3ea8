"""The shapes services exchange: event payloads and the Redis entries identity writes for the gateway.

Data definitions only, no logic. Producers, consumers and tests all import them; services still never
import each other.
"""
