"""The shapes services exchange: event payloads and the Redis entries identity writes for the gateway.

Data definitions only, plus one shared rule of presentation: how an address is printed (`addresses`), so the
pages and the PDFs print it alike. Producers, consumers and tests all import them; services still never
import each other.
"""
