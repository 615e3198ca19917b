"""What the site is made of, from validated content: templates and their contexts, feeds,
sitemap, metadata, styles, icon, security.txt, the change log and the signed ledger."""
