"""Markdown to HTML: the renderer, its fast paths, and the content lint."""
