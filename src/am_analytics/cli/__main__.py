"""``python -m am_analytics.cli``: the ``am-analytics`` command line."""

from . import main

main()
