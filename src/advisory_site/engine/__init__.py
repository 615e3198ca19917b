"""How a build runs: the one pipeline (``pipeline.run``), what it runs on (executors: serial or
a process pool), where it writes (writers) and what it may reuse (the cache)."""
