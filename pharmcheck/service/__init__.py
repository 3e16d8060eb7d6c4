"""The HTTP service (``pharmcheck serve``). Needs the ``server`` extra."""
