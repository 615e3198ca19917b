"""The vocabulary every layer shares: errors, the data models, addresses, bounded reading."""
