"""The vocabulary every layer shares, importing no other layer.

Problems (errors) and the data models, site addresses (urls), bounded file reading and time
budgets, text normalisation, and the pure rules about HTML a page must keep: its
Content-Security-Policy (csp) and what a page loads or runs (htmlscan).
"""
