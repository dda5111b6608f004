"""OpenADR 2.0b: the fake VTN for a VEN under test (codec, validator, role, checks, reference VEN)."""
