"""The reference VEN (OpenADR 2.0b) and its fault catalog."""
