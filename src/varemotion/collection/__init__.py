"""Collecting ratings from real people: the collection server, its trial database and the export.

- :mod:`varemotion.collection.app`: ``create_app``, the server (Starlette) for an exported experiment;
- :mod:`varemotion.collection.study`: the experiment's design and the checks of posted trials;
- :mod:`varemotion.collection.store`: the SQLite trial database and ``read_snapshot``;
- :mod:`varemotion.collection.export`: the database as jsPsych CSV and as the canonical trial table;
- :mod:`varemotion.collection.cli`: the ``varemotion serve`` and ``varemotion export-ratings`` commands.

The modules are imported one by one, so that reading a database does not load the web framework.
"""
