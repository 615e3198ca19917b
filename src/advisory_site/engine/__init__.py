"""How a build runs: the pipeline, its processes and its cache."""
