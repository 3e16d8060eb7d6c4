"""The CDS Hooks 2.0 service (``pharmcheck serve``): discovery, hooks, cards, feedback, JWT auth.

Needs the ``server`` extra. Routes in :mod:`pharmcheck.service.app` are thin; reading a hook
request, building cards and checking tokens live in the modules beside it.
"""
