"""Documents: an order's invoice and packing list, and the files of a customer's vault, with their bytes."""
