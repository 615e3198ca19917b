"""What the press office wrote, read and checked: YAML, front matter, fields, site settings,
releases and pages, their history, their photos and files, the content lint, and the
symbolic links that must not lead out of the site folder. Every problem found is a
ContentError with file, line and field."""
