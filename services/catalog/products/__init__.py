"""Products: the company's catalog, its plan limit, bulk CSV import and export."""
