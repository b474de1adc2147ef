"""Full-text search: one search document per story head and per public version.

Rooms, lowest first: ``syntax`` and ``text`` (pure: the query language, tokens,
snippets), ``models`` (the documents and labels), ``index`` (keeping them
current in the transaction that writes a revision or a version), ``query``
(matching and ranking on each database).
"""
