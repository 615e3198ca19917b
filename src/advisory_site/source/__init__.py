"""What the press office wrote: YAML, front matter, fields, settings, releases and their files."""
