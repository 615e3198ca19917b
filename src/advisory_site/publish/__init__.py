"""Putting a built site in place: the atomic output folder and the search index."""
