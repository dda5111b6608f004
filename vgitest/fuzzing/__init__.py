"""Property-based fuzzing of a device under test, shared by every protocol package.

The pieces, each in its own module:

* :mod:`.jsonschema`: JSON Schema -> hypothesis strategy (schema-valid values, built once per schema);
* :mod:`.jsonmutate`: Schemathesis-style mutations of a valid JSON value, each labelled with the schema keyword
  it breaks, so a protocol can say which error its device must answer;
* :mod:`.profiles`: the three fuzz profiles (``pr``, ``nightly``, ``cert``) as hypothesis settings;
* :mod:`.property`: runs a property against a live device inside a test case and turns the minimal
  counterexample into a finding with its rule id, plus a replay file;
* :mod:`.replay`: the replay file and how a case is re-run from it.

Protocol packages hold the rest (``<proto>/strategies.py``: which messages, which rule a mutation breaks).
"""
