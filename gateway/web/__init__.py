"""Server-rendered pages: the dashboard and storefront, a thin layer over the public API."""
