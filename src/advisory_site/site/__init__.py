"""What the site is made of, from validated content: the plan of every page and feed, the
templates and their contexts, feeds, sitemap, metadata, styles, icons, security.txt, the change
log and the signed ledger."""
