"""``python -m leaps.search``: see leaps.search.app."""

from leaps.search.app import main

main()
