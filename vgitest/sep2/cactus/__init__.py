"""CSIP-AUS client procedures of BSGIP CACTUS (the ``cactus-test-definitions`` package, pinned in
:mod:`vgitest.upstream`) executed on the fake 2030.5 server: our own loader (:mod:`.procedures`), the expressions
their parameters use (:mod:`.expressions`), the map from CACTUS endpoints to this server's paths (:mod:`.paths`),
the action and check registries (:mod:`.actions`, :mod:`.checks`) and the step engine (:mod:`.engine`)."""
