"""python -m advisory_site"""

from advisory_site.cli import main

raise SystemExit(main())
