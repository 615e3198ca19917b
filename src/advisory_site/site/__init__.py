"""What the site is made of: templates, feeds, sitemap, styles, icons, changes and the ledger."""
