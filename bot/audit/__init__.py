"""The audit trail as the features and the clerk see it: its head for the minutes,
verification against the fact tables, and ``sejabot audit``. Shared by the features."""
