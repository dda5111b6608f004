"""OpenADR 3: the fake VTN (REST + JSON, OAuth 2 client credentials, webhook notifications) for a VEN under test."""
