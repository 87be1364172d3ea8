"""Plans, the company's subscription (trial, status, limits) and usage against those limits."""
