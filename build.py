"""Build the site into _site/: the same as `advisory-site build`, with the same options."""

import sys
from pathlib import Path

# Works from a fresh clone even before `pip install -e .` has put the package on the path.
ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "src"))

from advisory_site.commands.cli import main  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main(["build", "--site", str(ROOT), *sys.argv[1:]]))
