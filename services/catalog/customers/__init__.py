"""Catalog's read model of the company's customers, fed by identity's events: who may have own prices."""
