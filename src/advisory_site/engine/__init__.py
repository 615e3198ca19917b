"""How a build runs: planning and rendering every page, worker processes and the cache."""
