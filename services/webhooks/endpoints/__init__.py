"""A company's webhook endpoints: where its events go, which ones, and the secrets that sign them."""
