"""Markdown to sanitised HTML: the release dialect (render) and its fast paths (quickmarkdown).

Knows Markdown, HTML and the sanitiser; nothing about files, front matter or the site.
"""
