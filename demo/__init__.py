"""The demo: a deterministic, realistic casework history for each tenant (``kentra demo``, tests, benches).

Not a use case, so not in services/: it sits beside the gateways and imports services and the domain only.
"""
