"""Evidence: views of a test's trace and findings (JSONL, pcapng, sequence diagram, Allure, run summary)."""
