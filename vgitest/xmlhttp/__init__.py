"""What the XML-over-HTTP fakes (the OpenADR 2.0b VTN, the IEEE 2030.5 server) share: the server's life cycle
and its recorded connections (:mod:`.server`), the outbound client that POSTs to the device (:mod:`.client`),
the schema validator (:mod:`.validator`), offline schema compilation (:mod:`.schema`) and TLS contexts
(:mod:`.tls`). A protocol package keeps only what its protocol defines: paths, payloads, answers and rules."""
