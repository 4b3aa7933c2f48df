"""Application services that combine capabilities for the adapters (CLI, API, web).

A capability never imports another (``watch`` does not import ``analysis``); where an
answer needs two of them — an event read from text and the members exposed to it —
the combination lives here, as plain functions over a network, so that the CLI and
the API give the same answer.  Nothing here stores anything: the workspace (incidents,
alerts, audit) builds on these functions.
"""
