"""The OpenADR 3 reference VEN and its fault catalog."""
