"""Every OCPP rule the harness checks, with its stable id. The ids are public API: reports, the fault
catalog table and users' allow-lists refer to them. `ref` names sections and requirement ids only."""

from __future__ import annotations

from ..findings import ANY_VERSION, RULES

P = "ocpp"
ALL = ("1.6", "2.0.1", "2.1")  # the OCPP-J versions the harness speaks
X2 = ("2.0.1", "2.1")


def R(id: str, severity: str, title: str, ref: str, protocol: str, versions: tuple[str, ...] = ALL) -> object:
    """Register an OCPP rule; unless it says otherwise it judges every OCPP-J version."""
    return RULES.add(id, severity, title, ref, protocol, versions)


# Framing (OCPP-J, every frame, both directions)
FRAME_BINARY = R("OCPPJ-FRAME-BINARY", "fail", "OCPP-J messages travel in WebSocket text frames, not binary frames",
                 "OCPP-J 1.6 §4.1; 2.0.1 Part 4 §4.1", P).id
FRAME_JSON = R("OCPPJ-FRAME-JSON", "fail", "The frame is not valid JSON", "OCPP-J 1.6 §4.1; 2.0.1 Part 4 §4.1", P).id
FRAME_SHAPE = R("OCPPJ-FRAME-SHAPE", "fail", "The frame is not an RPC array of the right length and element types",
                "OCPP-J 1.6 §4.2; 2.0.1 Part 4 §4.2", P).id
TYPE_UNKNOWN = R("OCPPJ-TYPE-UNKNOWN", "fail", "Unknown message type id for the negotiated version",
                 "OCPP-J 1.6 §4.1.3; 2.0.1 Part 4 §4.4; 2.1 Part 4 §4.1.3", P).id
MSGID_TYPE = R("OCPPJ-MSGID-TYPE", "fail", "The message id is not a string", "OCPP-J 1.6 Table 3; 2.0.1 Part 4 Table 4",
               P).id
MSGID_EMPTY = R("OCPPJ-MSGID-EMPTY", "fail", "The message id is empty", "OCPP-J 1.6 §4.1.4; 2.0.1 Part 4 §4.1.4", P).id
MSGID_LENGTH = R("OCPPJ-MSGID-LENGTH", "fail", "The message id is longer than 36 characters",
                 "OCPP-J 1.6 Table 3; 2.0.1 Part 4 Table 4", P).id
MSGID_REUSED = R("OCPPJ-MSGID-REUSED", "fail", "A CALL reuses a message id its sender already used in scope",
                 "OCPP-J 1.6 §4.1.4; 2.0.1 Part 4 §4.1.4; 2.1 Part 4 §4.1.4", P).id
ACTION_UNKNOWN = R("OCPPJ-ACTION-UNKNOWN", "fail", "The action is not an OCPP action of the negotiated version",
                   "OCPP-J 1.6 §4.2.1; 2.0.1 Part 4 §4.1.6", P).id
ACTION_CASE = R("OCPPJ-ACTION-CASE", "fail", "The action is spelled with the wrong letter case",
                "OCPP-J 1.6 §4.2.1; 2.0.1 Part 4 §4.1.6 (actions are case-sensitive)", P).id
ACTION_DIRECTION = R("OCPPJ-ACTION-DIRECTION", "fail", "The station sent an action only the CSMS may initiate",
                     "OCPP 1.6 §4, §5; 2.0.1 Part 2 message direction", P).id
PAYLOAD_TYPE = R("OCPPJ-PAYLOAD-TYPE", "fail", "The payload is not a JSON object (1.6: null for an empty payload is "
                 "tolerated, {} is the good practice: warn)", "OCPP-J 1.6 §4.2.1; 2.0.1 Part 4 §4.1.5", P).id
OPTIONAL_EMPTY = R("OCPPJ-OPTIONAL-EMPTY", "fail", "An optional field is sent as null, {} or [] instead of omitted",
                   "2.0.1 Part 4 §4.1.5 (1.6 has no such rule: there [] and {} are schema-valid, null fails the schema)",
                   P, X2).id
ERROR_CODE = R("OCPPJ-ERROR-CODE", "fail", "The CALLERROR code is not a code of the negotiated version",
               "OCPP-J 1.6 Table 7; 2.0.1 Part 4 Table 8", P).id
ERROR_CODE_SPELLING = R("OCPPJ-ERROR-CODE-SPELLING", "fail",
                        "The CALLERROR code uses another version's spelling (FormationViolation/FormatViolation, "
                        "OccurenceConstraintViolation/OccurrenceConstraintViolation)",
                        "OCPP-J 1.6 Table 7 and errata §5.1-5.2; 2.0.1 Part 4 Table 8", P).id
ERROR_DESCRIPTION = R("OCPPJ-ERROR-DESCRIPTION", "fail", "errorDescription is not a string (of at most 255 chars in 2.x)",
                      "OCPP-J 1.6 Table 6; 2.0.1 Part 4 Table 7", P).id
ERROR_DETAILS = R("OCPPJ-ERROR-DETAILS", "fail", "errorDetails is not a JSON object ({} when empty)",
                  "OCPP-J 1.6 Table 6; 2.0.1 Part 4 Table 7", P).id
CALLERROR_NOT_FOR_CALL = R("OCPPJ-CALLERROR-NOT-FOR-CALL", "fail",
                           "A CALLERROR answers something other than a CALL (e.g. the CSMS's CALLRESULT)",
                           "OCPP-J 1.6 §4.2.3; 2.0.1 Part 4 §4.2.3", P).id
RESULT_ORPHAN = R("OCPPJ-RESULT-ORPHAN", "fail", "A CALLRESULT/CALLERROR carries an id no outstanding CALL has",
                  "OCPP-J 1.6 §4.1.4; 2.0.1 Part 4 §4.1.4", P).id
RESULT_DUPLICATE = R("OCPPJ-RESULT-DUPLICATE", "fail", "A second CALLRESULT/CALLERROR for an already answered CALL",
                     "OCPP-J 1.6 §4.1.4; 2.0.1 Part 4 §4.1.4", P).id
RESULT_LATE = R("OCPPJ-RESULT-LATE", "fail", "The answer to a CSMS CALL arrived after the response timeout",
                "OCPP-J 1.6 §4.1.1; 2.0.1 Part 4 §4.1.1; budget ocpp.response_timeout", P).id
RESPONSE_TIMEOUT = R("OCPPJ-RESPONSE-TIMEOUT", "fail", "The DUT did not answer a CSMS CALL within the response timeout",
                     "OCPP-J 1.6 §4.1.1; 2.0.1 Part 4 §4.1.1; budget ocpp.response_timeout", P).id
CALL_CONCURRENT = R("OCPPJ-CALL-CONCURRENT", "fail",
                    "The DUT sent a CALL while its previous CALL was still unanswered (warn in 1.6: SHOULD NOT)",
                    "OCPP-J 1.6 §4.1.1; 2.0.1 Part 4 §4.1.1", P).id
SCHEMA = R("OCPP-SCHEMA", "fail", "The payload violates the official JSON schema of its message",
           "OCPP 1.6 / 2.0.1 / 2.1 JSON schemas", P).id
SUBPROTOCOL = R("OCPPJ-SUBPROTOCOL", "fail", "The station offered no OCPP subprotocol the CSMS supports",
                "OCPP-J 1.6 §3.2; 2.0.1 Part 4 §3.1.2, §3.2", P).id
IDENTITY = R("OCPPJ-IDENTITY", "fail", "The station identity in the URL is unknown or malformed (':' or > 48 chars)",
             "2.0.1 Part 4 §3.1.1", P).id
IDENTITY_CHARS = R("OCPPJ-IDENTITY-CHARS", "fail",
                   "The station identity in the URL is no clean path segment: broken percent-encoding, control or "
                   "non-ASCII characters, or a dot segment (refused with HTTP 400); printable ASCII outside the RFC "
                   "3986 unreserved set: warn",
                   "OCPP-J 1.6 §3.1.1; 2.0.1 Part 4 §3.1.1; 2.0.1 Part 2 identity (CiString48, unreserved characters); "
                   "RFC 3986 §2.1, §2.3, §3.3", P).id
HANDSHAKE = R("OCPPJ-HANDSHAKE", "fail",
              "The opening handshake is no acceptable HTTP upgrade request (e.g. a request line or header fields over "
              "the server's limits); refused with HTTP 4xx", "OCPP-J 1.6 §3.1; 2.0.1 Part 4 §3.1; RFC 6455 §4.1, §4.2.2; "
              "RFC 9110 §15.5.15 (414); RFC 6585 §5 (431)", P).id
MAX_MESSAGE = 2 ** 22  # the largest WebSocket message the fake CSMS accepts (4 MiB)
WS_UTF8 = R("OCPPJ-WS-UTF8", "fail", "A WebSocket text message is not valid UTF-8 (the CSMS closes with 1007)",
            "RFC 6455 §5.6, §8.1, §7.4.1 (1007); OCPP-J 1.6 §4.1; 2.0.1 Part 4 §4.1", P).id
WS_FRAMING = R("OCPPJ-WS-FRAMING", "fail", "A WebSocket frame breaks the framing rules: reserved opcode or RSV bits, "
               "unmasked client frame, bad control frame (the CSMS closes with 1002)",
               "RFC 6455 §5.1, §5.2, §5.5, §7.4.1 (1002)", P).id
WS_TOO_BIG = R("OCPPJ-WS-TOO-BIG", "warn", "A WebSocket message is larger than the 4 MiB the CSMS accepts (the CSMS "
               "closes with 1009; OCPP-J sets no limit of its own)", "RFC 6455 §7.4.1 (1009); OCPP-J 1.6 §4.1; "
               "2.0.1 Part 4 §4.1", P).id
BASIC_AUTH = R("OCPP-SEC-BASIC-AUTH", "fail", "HTTP Basic credentials are missing, malformed or wrong",
               "OCPP 1.6 Security Whitepaper §2 (A00.FR.201-205); 2.0.1 A00, TC_A_01_CS", P).id
TLS_HANDSHAKE = R("OCPP-SEC-TLS-HANDSHAKE", "fail", "The station did not complete TLS 1.2 or later with a CSMS "
                  "that presents a valid certificate and one of the OCPP cipher suites (security profiles 2 and 3)",
                  "OCPP 1.6 Security Whitepaper §2 (security profiles 2, 3); 2.0.1 Part 2 A00 (TC_A_04_CS)", P).id
TLS_SERVER_AUTH = R("OCPP-SEC-TLS-SERVER-AUTH", "fail", "The station completed TLS with a CSMS whose certificate it "
                    "must refuse (expired, from a CA it does not trust, or for another host name) and spoke OCPP",
                    "OCPP 1.6 Security Whitepaper §2 (A00.FR.3xx server certificate checks); 2.0.1 Part 2 A00 "
                    "(TC_A_05_CS)", P).id
TLS_VERSION = R("OCPP-SEC-TLS-VERSION", "fail", "The station accepted a TLS version below 1.2",
                "OCPP 1.6 Security Whitepaper §2 (TLS 1.2 or higher); 2.0.1 Part 2 A00 (TC_A_06_CS)", P).id
TLS_CIPHER = R("OCPP-SEC-TLS-CIPHER", "fail", "The station accepted a TLS 1.2 cipher suite outside the list OCPP "
               "allows (ECDHE-ECDSA or RSA with AES-GCM)", "OCPP 1.6 Security Whitepaper §2 (cipher suites); "
               "2.0.1 Part 2 A00", P).id
CLIENT_CERT = R("OCPP-SEC-CLIENT-CERT", "fail", "Security profile 3: the station presented no client certificate, or "
                "one whose organization name is not the CPO's or whose common name is not the station's",
                "OCPP 1.6 Security Whitepaper §2 (security profile 3); 2.0.1 Part 2 A00 (TC_A_07_CS)", P).id
CERT_STORE = R("OCPP-SEC-CERT-STORE", "fail", "The station's certificate store is not what it answered: an "
               "installed root refused or missing from GetInstalledCertificateIds, a deleted one still listed, an "
               "unknown certificate not answered NotFound, or its own certificate deleted",
               "OCPP 1.6 Security Whitepaper (certificate management: InstallCertificate, DeleteCertificate, "
               "GetInstalledCertificateIds); 2.0.1 M04.FR.01-06, M05.FR.01-02", P).id
DOWNGRADE = R("OCPP-SEC-DOWNGRADE", "fail", "The station accepted to be configured to a lower security profile than "
              "the one it runs", "OCPP 1.6 Security Whitepaper §2 (no downgrade over OCPP); 2.0.1 A00.FR.005, "
              "B09.FR.04 (TC_A_22_CS)", P).id
UPGRADE = R("OCPP-SEC-UPGRADE", "fail", "The station did not move up to the higher security profile the CSMS "
            "configured (a network connection profile and NetworkConfigurationPriority, then a reset): it refused "
            "the profile or the priority, did not connect with the higher profile, or kept slots of the lower one "
            "in NetworkConfigurationPriority once connected", "2.0.1 A05.FR.04, A05.FR.07 (TC_A_19_CS)", P,
            ("2.0.1", "2.1")).id
PASSWORD = R("OCPP-SEC-PASSWORD", "fail", "An HTTP Basic password outside the rules (16 to 40 characters of the "
             "identifierString set) was sent by the station or accepted as its new password, or the station did not "
             "take a valid new password into use", "2.0.1 A00.FR.3xx, A01.FR.01-12 (TC_A_01_CS, TC_A_09_CS, "
             "TC_A_10_CS); OCPP 1.6 Security Whitepaper §2 (AuthorizationKey)", P).id
CERT_RENEWAL = R("OCPP-SEC-CERT-RENEWAL", "fail", "Certificate renewal on the CSMS's request went wrong: the "
                 "trigger refused, no SignCertificate with a CSR naming the station and the CPO, a valid signed chain "
                 "refused, or a chain that is not the station's (another key, an untrusted CA) accepted",
                 "OCPP 1.6 Security Whitepaper (A02/A03 certificate update); 2.0.1 A02.FR.02-09, A03.FR.07 "
                 "(TC_A_11_CS, TC_A_14_CS)", P).id
SECURITY_EVENT = R("OCPP-SEC-EVENT", "fail", "After a security-relevant refusal the station did not report the "
                   "matching SecurityEventNotification once it was connected again",
                   "OCPP 1.6 Security Whitepaper §2 (security events, critical ones pushed); 2.0.1 A04, N (security "
                   "events)", P).id

# Behaviour over the trace
BOOT_BEFORE_ACCEPT = R("OCPP-BOOT-BEFORE-ACCEPT", "fail",
                       "The station sent a request other than BootNotification before boot was accepted",
                       "OCPP 1.6 §4.2; 2.0.1 B02.FR, B03.FR, TC_B_02_CS, TC_B_03_CS", P).id
BOOT_RETRY_EARLY = R("OCPP-BOOT-RETRY-EARLY", "fail",
                     "A BootNotification was repeated before the interval of the Pending/Rejected answer elapsed",
                     "OCPP 1.6 §4.2; 2.0.1 B03.FR, TC_B_03_CS", P).id
BOOT_MISSING = R("OCPP-BOOT-MISSING", "fail", "The station did not send BootNotification after (re)start",
                 "OCPP 1.6 §4.2; 2.0.1 B01", P).id
STATUS_AFTER_BOOT = R("OCPP-STATUS-AFTER-BOOT", "fail",
                      "The station did not report every connector's state after boot Accepted",
                      "OCPP 1.6 §4.9, TC_001_CS; 2.0.1 B01.FR, TC_B_01_CS", P).id
HEARTBEAT_GAP = R("OCPP-HEARTBEAT-GAP", "fail",
                  "The station stayed silent longer than the heartbeat interval plus tolerance",
                  "OCPP 1.6 §4.6, §9.1.10; 2.0.1 OCPPCommCtrlr.HeartbeatInterval", P).id
HEARTBEAT_EARLY = R("OCPP-HEARTBEAT-EARLY", "warn",
                    "The station sent Heartbeats much more often than the configured interval",
                    "OCPP 1.6 §4.6; 2.0.1 OCPPCommCtrlr.HeartbeatInterval", P).id
SIZE_BUDGET = RULES.add("SIZE-BUDGET", "warn", "A message is larger than its size budget; the budget file sets the "
                        "severity (OCPP's 2 kB note is info), warn where it sets none", "schemas/budgets/*.toml", "",
                        ANY_VERSION).id
STATION_RESPONSE = R("OCPP-RESPONSE-STATUS", "fail",
                     "The station's answer to a CSMS request has the wrong status or content for the scenario",
                     "test case expectations", P).id
EXPECTED_MESSAGE = R("OCPP-EXPECTED-MESSAGE", "fail",
                     "The station did not send a message the scenario requires within the allowed time",
                     "test case expectations", P).id
FORBIDDEN_MESSAGE = R("OCPP-FORBIDDEN-MESSAGE", "fail", "The station sent a message the scenario forbids",
                      "test case expectations", P).id
TX_ID = R("OCPP-TX-ID", "fail", "A transaction message carries a transaction id other than the one in progress",
          "OCPP 1.6 §5.16, §6.47; 2.0.1 E01-E03 (transactionId constant within a transaction)", P).id
TX_SEQNO = R("OCPP-TX-SEQNO", "fail", "TransactionEvent seqNo is not consecutive within a transaction",
             "2.0.1 E01.FR, Part 6 §2.1", P, X2).id
TX_EVENT_ORDER = R("OCPP-TX-EVENT-ORDER", "fail", "TransactionEvent Started/Updated/Ended order is broken",
                   "2.0.1 E01-E09, Part 6 §2.1", P, X2).id
METER_ORDER = R("OCPP-METER-ORDER", "fail", "Meter values go back in time or the energy register decreases",
                "OCPP 1.6 §3.16; 2.0.1 J01-J02", P).id
RESET_IGNORED = R("OCPP-RESET-IGNORED", "fail", "The station accepted a Reset but did not reboot",
                  "OCPP 1.6 §5.14; 2.0.1 B11-B12", P).id
CONFIG_NOT_APPLIED = R("OCPP-CONFIG-NOT-APPLIED", "fail",
                       "A configuration value the station accepted is not what it reports afterwards",
                       "OCPP 1.6 §5.3, §5.8; 2.0.1 B05-B06", P).id
SC_LIMIT = R("OCPP-SC-LIMIT", "fail", "The current or power the station reports at a connector (MeterValues) exceeds "
             "the charging limit its charging profiles put in force there",
             "OCPP 1.6 §3.13, §5.16; 2.0.1 K01, K08 (the limit applies at the connector)", P).id
V2X_POWER = R("OCPP-V2X-POWER", "fail", "The net power a station reports at an EVSE in a V2X transaction (import minus "
              "export) does not follow the setpoint its charging profile puts in force", "2.1 Q03 (central setpoint), "
              "K01 (operationMode)", P, ("2.1",)).id
STATUS_TRANSITION = R("OCPP-STATUS-TRANSITION", "fail",
                      "A connector status sequence the scenario requires was not reported",
                      "OCPP 1.6 §4.9; 2.0.1 G01", P).id
FIRMWARE_STATUS = R("OCPP-FIRMWARE-STATUS", "fail",
                    "FirmwareStatusNotification does not follow the update: Downloading, then Downloaded or "
                    "DownloadFailed, then Installing, then Installed or InstallationFailed, each as it happens; "
                    "never a success after a failure, never Idle unless triggered", "OCPP 1.6 §4.5, §5.19", P,
                    ("1.6",)).id
DIAGNOSTICS_STATUS = R("OCPP-DIAGNOSTICS-STATUS", "fail",
                       "DiagnosticsStatusNotification does not follow the upload: Uploading, then Uploaded or "
                       "UploadFailed as it happened; never Idle unless triggered", "OCPP 1.6 §4.4, §5.9", P,
                       ("1.6",)).id
OFFLINE_QUEUE = R("OCPP-OFFLINE-QUEUE", "fail",
                  "A transaction-related message (StartTransaction, StopTransaction, MeterValues of a transaction) the "
                  "station would have sent while the CSMS was unreachable was not delivered once the connection was back",
                  "OCPP 1.6 §3.7", P, ("1.6",)).id
OFFLINE_ORDER = R("OCPP-OFFLINE-ORDER", "warn",
                  "Transaction-related messages queued while offline were not delivered in the order they happened "
                  "(a SHOULD)", "OCPP 1.6 §3.7", P, ("1.6",)).id
FILE_TRANSFER = R("OCPP-FILE-TRANSFER", "fail",
                  "A status claims a transfer the harness's file service did not see: Downloaded without a whole "
                  "download of the published file, Uploaded without a whole upload of the file the station named, "
                  "a failure reported without an attempt", "OCPP 1.6 §4.4, §4.5, §5.9, §5.19; 2.0.1 L01.FR.01, N01 (log "
                  "upload)", P, ("1.6", "2.0.1", "2.1")).id
FIRMWARE_SECURE = R("OCPP-FIRMWARE-SECURE", "fail",
                    "A secure firmware update (2.0.1 L01) is not reported as it happens: every state it enters "
                    "(DownloadScheduled, Downloading, Downloaded or DownloadFailed, SignatureVerified or "
                    "InvalidSignature, InstallScheduled, Installing, InstallRebooting, Installed or "
                    "InstallVerificationFailed/InstallationFailed) in order, with the UpdateFirmware's requestId; "
                    "no download or install before the date it was given, no install while a transaction runs "
                    "unless the station can, no install of an image whose signature failed",
                    "2.0.1 L01.FR.01, L01.FR.04-07, L01.FR.10, L01.FR.13, L01.FR.15, L01.FR.16, L01.FR.20, "
                    "L01.FR.28-30", P, X2).id

# Offline behaviour and retries of OCPP 2.0.1 and later (issue 17 item 6; suites/ocpp201/test_B_offline.py,
# test_E_offline.py)
TX_OFFLINE_QUEUE = R("OCPP-TX-OFFLINE-QUEUE", "fail",
                     "A TransactionEvent the station generated while the CSMS was unreachable was not delivered once "
                     "the connection was back", "2.0.1 E11, E12 (transaction-related messages are queued)", P, X2).id
TX_OFFLINE_FLAG = R("OCPP-TX-OFFLINE-FLAG", "fail",
                    "A TransactionEvent that happened while the station was offline was delivered without offline=true",
                    "2.0.1 E11, E12 (TransactionEventRequest.offline)", P, X2).id
TX_RETRY = R("OCPP-TX-RETRY", "fail",
             "A TransactionEvent the CSMS did not answer, or answered with a CALLERROR, was not retried as "
             "MessageAttempts and MessageAttemptInterval say (too few, too many, too early, or after success)",
             "2.0.1 E13.FR.01-04", P, X2).id
RECONNECT_BACKOFF = R("OCPP-RECONNECT-BACKOFF", "fail",
                      "Reconnection attempts after a lost connection do not follow RetryBackOffWaitMinimum, "
                      "RetryBackOffRandomRange and RetryBackOffRepeatTimes (first wait, doubling, cap)",
                      "2.0.1 Part 4 §5.3 (reconnecting); Part 2 OCPPCommCtrlr.RetryBackOff*", P, X2).id
NETWORK_PROFILE = R("OCPP-NETWORK-PROFILE", "fail",
                    "After a restart the station did not connect with the connection profile "
                    "NetworkConfigurationPriority puts first, or did not fall back to the next one when that one "
                    "could not be reached", "2.0.1 B10 (migrate to new connection profile), Part 6 TC_B_45_CS, "
                    "TC_B_46_CS", P, ("2.0.1",)).id
STATUS_AFTER_OFFLINE = R("OCPP-STATUS-AFTER-OFFLINE", "fail",
                         "After an offline period the station did not report the connector states OfflineThreshold "
                         "asks for (all of them after a long period, the changed ones after a short one)",
                         "2.0.1 B04.FR.01, B04.FR.02", P, ("2.0.1",)).id

# Fuzzing (vgitest.ocpp.fuzzcases): generated and mutated CSMS requests
FUZZ_REJECT = R("OCPP-FUZZ-REJECT", "fail", "A CSMS request that breaks its schema was answered with a CALLRESULT, as "
                "if it were valid, instead of a CALLERROR", "OCPP-J 1.6 §4.2.3, Table 7; 2.0.1 Part 4 §4.1.7, §4.2.3, "
                "Table 8", P).id
FUZZ_ERROR_CODE = R("OCPP-FUZZ-ERROR-CODE", "warn", "The CALLERROR for a request that breaks its schema names another "
                    "kind of violation than the one made (e.g. a missing field answered as a type violation)",
                    "OCPP-J 1.6 Table 7; 2.0.1 Part 4 Table 8", P).id
FUZZ_SILENT = R("OCPP-FUZZ-SILENT", "warn", "A CSMS request that breaks its schema, or a frame that cannot be read, "
                "was not answered at all (dropping it is allowed; a CALLERROR is what the CSMS can act on)",
                "OCPP-J 1.6 §4.2.3; 2.0.1 Part 4 §4.1.7, §4.2.3", P).id
FUZZ_ALIVE = R("OCPP-FUZZ-ALIVE", "fail", "After a generated or malformed request the station dropped the connection "
               "or stopped answering valid requests", "OCPP-J 1.6 §4.1.1, §4.2.3; 2.0.1 Part 4 §4.1.1, §4.2.3", P).id
FUZZ_ACCEPT = R("OCPP-FUZZ-ACCEPT", "fail", "A schema-valid request of an action the station declares was answered "
                "with a CALLERROR that claims a format, type or occurrence violation, an InternalError, or not at "
                "all (other error codes: warn)", "OCPP-J 1.6 §4.2.2, Table 7; 2.0.1 Part 4 §4.2.2, Table 8", P).id
LOG_STATUS = R("OCPP-LOG-STATUS", "fail",
               "LogStatusNotification does not follow the log upload of a GetLog: Uploading, then Uploaded or a failure "
               "(UploadFailure, BadMessage, PermissionDenied, NotSupportedOperation) as it happened, each with the "
               "request's requestId; never Idle unless triggered", "2.0.1 N01; 2.1 N01", P, X2).id
