"""Plug & Charge and TLS faults of the reference EV and EVSE for ISO 15118-2: each is caught by its named test in
suites/iso15118_2/test_iso2_secc_pnc.py / test_iso2_evcc_pnc.py, run under the PnC profiles (reference-evse-iso2-pnc,
reference-ev-iso2-pnc). All of them are flags the engines and :mod:`.pnc` read; none needs a scripted action."""

from __future__ import annotations

from . import catalog

EVSE_PROFILE = "reference-evse-iso2-pnc"
EV_PROFILE = "reference-ev-iso2-pnc"

# --- reference EVSE (the fake EVCC catches them, TC_SECC_* cases) ------------------------------------------------
EVSE_PNC: list[tuple[str, str, str | tuple[str, ...], str]] = [
    ("no_tls", "answers SDP without TLS although it declares TLS and the EV asked for it",
     "TC_SECC_CMN_VTB_SDP_002", "V2G-TLS"),
    ("expired_secc_certificate", "presents an expired SECC certificate in the TLS handshake",
     "TC_SECC_CMN_VTB_SDP_003", "V2G-TLS"),
    ("untrusted_secc_certificate", "presents an SECC certificate chain under a root the EV does not trust",
     "TC_SECC_CMN_VTB_SDP_003", "V2G-TLS"),
    ("constant_gen_challenge", "issues the same GenChallenge in every PaymentDetailsRes",
     "TC_SECC_CMN_VTB_PaymentDetails_001", "V2G-PNC-CHALLENGE"),
    ("accepts_untrusted_contract", "accepts a contract chain under an untrusted MO root in PaymentDetailsReq",
     "TC_SECC_CMN_VTB_PaymentDetails_002", "V2G-PNC-CERTIFICATE"),
    ("rejects_valid_signature", "answers a correctly signed AuthorizationReq with FAILED_SignatureError",
     "TC_SECC_CMN_VTB_Authorization_003", "V2G-RESPONSE-CODE"),
    ("accepts_bad_signature", "accepts an AuthorizationReq whose signature does not verify",
     "TC_SECC_CMN_VTB_Authorization_004", "V2G-PNC-SIGNATURE"),
    ("accepts_wrong_gen_challenge", "accepts an AuthorizationReq with another GenChallenge than it issued",
     "TC_SECC_CMN_VTB_Authorization_005", "V2G-PNC-CHALLENGE"),
    ("accepts_unsigned_authorization", "accepts an unsigned AuthorizationReq in a Plug & Charge session",
     "TC_SECC_CMN_VTB_Authorization_006", "V2G-PNC-SIGNATURE"),
    ("rejects_valid_metering_receipt", "answers a correctly signed MeteringReceiptReq with "
     "FAILED_MeteringSignatureNotValid", "TC_SECC_DC_VTB_MeteringReceipt_001", "V2G-RESPONSE-CODE"),
    ("accepts_bad_metering_signature", "accepts a MeteringReceiptReq whose signature does not verify",
     "TC_SECC_DC_VTB_MeteringReceipt_002", "V2G-PNC-SIGNATURE"),
    ("bad_installation_signature", "signs CertificateInstallationRes with a SignatureValue that does not verify",
     "TC_SECC_CMN_VTB_CertificateInstallation_001", "V2G-PNC-SIGNATURE"),
    ("installation_placeholder_certificates", "answers CertificateInstallationReq with placeholder (non-X.509) "
     "certificates", "TC_SECC_CMN_VTB_CertificateInstallation_001", "V2G-PNC-CERTIFICATE"),
]

# --- reference EV (the fake SECC catches them, TC_EVCC_* cases) --------------------------------------------------
EV_PNC: list[tuple[str, str, str | tuple[str, ...], str]] = [
    ("no_tls", "asks for TLS in SDP but connects without it", "TC_EVCC_CMN_VTB_SDP_002", "V2G-TLS"),
    ("accepts_expired_secc_certificate", "completes the TLS handshake with an expired SECC certificate",
     "TC_EVCC_CMN_VTB_SDP_003", "V2G-TLS"),
    ("accepts_untrusted_secc_certificate", "completes the TLS handshake with an SECC chain under an untrusted root",
     "TC_EVCC_CMN_VTB_SDP_004", "V2G-TLS"),
    ("untrusted_contract", "presents a contract chain under an MO root the SECC does not trust",
     "TC_EVCC_CMN_VTB_PaymentDetails_001", "V2G-PNC-CERTIFICATE"),
    ("bad_signature", "sends AuthorizationReq with a SignatureValue that does not verify",
     "TC_EVCC_CMN_VTB_Authorization_002", "V2G-PNC-SIGNATURE"),
    ("unsigned_authorization", "sends AuthorizationReq without a Signature in a Plug & Charge session",
     "TC_EVCC_CMN_VTB_Authorization_002", "V2G-PNC-SIGNATURE"),
    ("wrong_gen_challenge", "signs AuthorizationReq over another GenChallenge than the SECC issued",
     "TC_EVCC_CMN_VTB_Authorization_003", "V2G-PNC-CHALLENGE"),
    ("retries_after_signature_error", "sends AuthorizationReq again after FAILED_SignatureError",
     "TC_EVCC_CMN_VTB_Authorization_004", "V2G-STOP-AFTER-FAILED"),
    ("bad_metering_signature", "sends MeteringReceiptReq with a SignatureValue that does not verify",
     "TC_EVCC_DC_VTB_MeteringReceipt_001", "V2G-PNC-SIGNATURE"),
    ("ignores_receipt_request", "goes on with CurrentDemandReq when the SECC asks for a MeteringReceipt",
     "TC_EVCC_DC_VTB_MeteringReceipt_002", "V2G-PNC-RECEIPT"),
]


def _register(role: str, table: list[tuple[str, str, str | tuple[str, ...], str]], profile: str) -> None:
    cat = catalog.EV_FAULTS if role == "ev" else catalog.EVSE_FAULTS
    for name, desc, tests, rule in table:
        names = (tests,) if isinstance(tests, str) else tests
        cat.fault(name, desc, version="iso-2", tests=tuple(f"test_{t}" for t in names), rule=rule, profile=profile)


_register("evse", EVSE_PNC, EVSE_PROFILE)
_register("ev", EV_PNC, EV_PROFILE)
