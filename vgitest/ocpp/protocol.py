"""OCPP (1.6J, 2.0.1): the fake CSMS for a charging station under test.

What the harness knows of this package (vgitest.peer reads it); the fake peer itself is in peer.py."""

from ..actions import Action, OCPP, OPTIONAL, REQUIRED
from ..peer import PeerKind, ReferenceRun

_SP16 = "test_security or test_certificates or test_boot or test_rpc"
_SP201 = "test_A_security or test_M_certificates or test_B_boot or test_VGI_rpc_framework"
_SP21 = _SP201 + " or test_A_security21 or test_VGI_rpc21"
_STATUS21 = "test_G_availability or TC_B_01_CS or TC_B_20_CS or TC_B_21_CS or TC_B_23_CS"

KIND = PeerKind(
    protocol="ocpp", rank=1, versions=("1.6", "2.0.1", "2.1"), make="vgitest.ocpp.peer:make",
    simulators={"1.6": "vgitest.ocpp.station.v16:Station16", "2.0.1": "vgitest.ocpp.station.v201:Station201",
                "2.1": "vgitest.ocpp.station.v21:Station21"},
    listens_on_port=True,
    serve={"csms": '[dut]\nname = "any station"\nprotocol = "ocpp"\nversion = "1.6"\n[adapter]\nkind = "manual"\n'},
    runs=(ReferenceRun("ocpp16", "reference-station-16", "ocpp16", expected_s=75),
          ReferenceRun("ocpp201", "reference-station-201", "ocpp201", shards=2, expected_s=150),
          ReferenceRun("ocpp16-fuzz", "reference-station-16", "ocpp16_fuzz", expected_s=40),
          # the cases for a station without a local list or reservations, against the reference without them
          ReferenceRun("ocpp16-core", "reference-station-16-core", "ocpp16",
                       select="TC_042_1_CS or TC_043_1_CS or TC_048_4_CS or TC_050_4_CS", expected_s=6),
          # the cases for a connector with a fixed cable, against the reference with one
          ReferenceRun("ocpp16-fixed-cable", "reference-station-16-fixed-cable", "ocpp16",
                       select="TC_017_2_CS or TC_018_2_CS", expected_s=10),
          # a station configured to end its transactions before a power cut takes it down (PICS StopTxBeforePowerLoss)
          ReferenceRun("ocpp16-ups", "reference-station-16-ups", "ocpp16", select="TC_032_1_CS", expected_s=4),
          # OCPP 2.1: the 2.0.1 cases that hold unchanged in 2.1 (vgi_protocol names both) and what 2.1 adds
          ReferenceRun("ocpp21", "reference-station-21", "ocpp201", more_suites=("ocpp21",), expected_s=80),
          # the same station reporting connector states only by NotifyEvent (2.1's preferred form): the cases that
          # judge connector states
          ReferenceRun("ocpp21-notifyevent", "reference-station-21-notifyevent", "ocpp201", select=_STATUS21,
                       expected_s=30),
          ReferenceRun("ocpp201-fuzz", "reference-station-201", "ocpp201_fuzz", expected_s=32),
          # security profiles 2 and 3 over the run's test PKI: the connection-level cases (boot, RPC, security and
          # the negative TLS matrix); the other cases do not depend on the transport
          ReferenceRun("ocpp16-sp2", "reference-station-16-sp2", "ocpp16", select=_SP16, expected_s=40),
          ReferenceRun("ocpp16-sp3", "reference-station-16-sp3", "ocpp16", select=_SP16, expected_s=40),
          ReferenceRun("ocpp201-sp2", "reference-station-201-sp2", "ocpp201", select=_SP201, expected_s=27),
          ReferenceRun("ocpp201-sp3", "reference-station-201-sp3", "ocpp201", select=_SP201, expected_s=25),
          ReferenceRun("ocpp21-sp2", "reference-station-21-sp2", "ocpp201", more_suites=("ocpp21",), select=_SP21,
                       expected_s=30),
          ReferenceRun("ocpp21-sp3", "reference-station-21-sp3", "ocpp201", more_suites=("ocpp21",), select=_SP21,
                       expected_s=30),
          # block L cases for stations of other firmware capabilities (Part 5 C-60, AQ-7, C-43; two EVSEs)
          ReferenceRun("ocpp201-fw", "reference-station-201-fw", "ocpp201",
                       select="TC_L_11_CS or TC_L_12_CS or TC_L_13_CS", expected_s=15),
          ReferenceRun("ocpp201-fw-tx", "reference-station-201-fw-tx", "ocpp201", select="TC_L_14_CS", expected_s=6),
          ReferenceRun("ocpp201-fw-install", "reference-station-201-fw-install", "ocpp201", select="TC_L_16_CS",
                       expected_s=6)),
    actions=(
        Action("present_token", "present an identifier (an RFID card) at the station's reader for the connector",
               (("id_token", "the idTag (1.6) or idToken (2.0.1) value, from the PIXIT"),
                ("connector", "the connector (1.6) or EVSE (2.0.1) id")), ("ocpp",),
               uses=((OCPP, REQUIRED, "the reusable states Authorized and with a running transaction, and the "
                      "authorization cases"),)),
        Action("fault_connector", "put the connector into an error state (it reports Faulted)",
               (("connector", "the connector (1.6) or EVSE (2.0.1) id"),), ("ocpp",),
               uses=((("ocpp16",), OPTIONAL, "the reservation cases of a faulted connector (TC_048_1_CS, TC_050_1_CS; "
                      "without it they are NOT_APPLICABLE)"),)),
        Action("clear_fault", "clear the connector's error state (it reports Available again)",
               (("connector", "the connector (1.6) or EVSE (2.0.1) id"),), ("ocpp",),
               uses=((OCPP, OPTIONAL, "the reusable state Booted, to recover a connector that is not idle"),)),
        Action("fail_lock", "make the connector's cable lock fail: it can neither lock nor unlock the cable until "
               "clear_lock_failure", (("connector", "the connector (1.6) or EVSE (2.0.1) id"),), ("ocpp",),
               uses=((("ocpp16",), OPTIONAL, "the lock-failure cases TC_024_CS and TC_030_CS (without it they are "
                      "NOT_APPLICABLE)"),)),
        Action("clear_lock_failure", "repair the connector's cable lock (undoes fail_lock)",
               (("connector", "the connector (1.6) or EVSE (2.0.1) id"),), ("ocpp",),
               uses=((("ocpp16",), OPTIONAL, "after fail_lock, in TC_024_CS and TC_030_CS"),)),
        Action("disconnect_network", "cut the device's network link to the harness (the device stays on)", (),
               ("ocpp",)),
        Action("reconnect_network", "restore the device's network link", (), ("ocpp",)),
        Action("restore_network_profile", "put the station back on the connection it was installed with (CSMS URL "
               "and security profile), as an installer would by resetting its network settings", (), ("ocpp",),
               uses=((("ocpp201",), OPTIONAL, "TC_A_19_CS, to return to the run's security profile after raising it "
                      "(without it the case is NOT_APPLICABLE: a station must not lower its profile over OCPP)"),)),
        Action("grid_event", "make the station's inverter see a grid event begin (or end, with ended)",
               (("fault", "the gridEventFault, e.g. OverVoltage (PIXIT der_grid_event)"),
                ("ended", "true: the event is over")), ("ocpp",),
               uses=((("ocpp21",), OPTIONAL, "the DER event case TC_R_108_CS (without it NOT_APPLICABLE)"),)),
    ),
    suites={"ocpp16": "OCPP 1.6J", "ocpp201": "OCPP 2.0.1", "ocpp16_fuzz": "OCPP 1.6J fuzzing",
            "ocpp201_fuzz": "OCPP 2.0.1 fuzzing", "ocpp21": "OCPP 2.1"},
    pics={
        "Core": "the Core profile (1.6) / Core certification profile (2.0.1): every station declares it",
        "RemoteTrigger": "1.6 Remote Trigger profile: TriggerMessage",
        "SecurityProfile1": "1.6 security extension, profile 1: HTTP Basic authentication over ws://",
        "SecurityProfile2": "security profile 2: TLS 1.2 or later with server authentication (and HTTP Basic); the "
            "run uses it with PIXIT security_profile = 2 or 3 and TLS material",
        "CertificateManagement": "InstallCertificate, GetInstalledCertificateIds and DeleteCertificate (1.6 "
            "security extension; 2.0.1 block M, Core)",
        "SecurityProfile3": "security profile 3: TLS with the station's client certificate (O = the CPO, CN = its "
            "serial number); the run uses it with PIXIT security_profile = 3",
        "StopTxBeforePowerLoss": "1.6: the station is configured to end its transactions (StopTransaction, reason "
            "PowerLoss) before it goes down when its power fails (it has the energy to)",
        "LocalAuthListManagement": "local authorization list (SendLocalList, GetLocalListVersion); absent: "
            "GetLocalListVersion answers -1",
        "FirmwareManagement": "1.6 Firmware Management profile: UpdateFirmware and GetDiagnostics over the harness's "
            "file service; absent: DiagnosticsStatusNotification and FirmwareStatusNotification triggers may be "
            "answered NotImplemented",
        "C-13": "2.0.1 Part 5 optional feature: Reset of a single EVSE",
        "C-56": "2.0.1 Part 5 optional feature: GetBaseReport SummaryInventory",
        "C-60": "2.0.1 Part 5 optional feature: a second UpdateFirmware cancels the firmware update in progress "
                "(AcceptedCanceled); absent: the station answers it Rejected",
        "C-20": "2.0.1 Part 5 optional feature: the variable ChargingStation.AllowNewSessionsPendingFirmwareUpdate",
        "AQ-7": "2.0.1 Part 5: the station downloads firmware while a transaction is ongoing; absent: it waits for "
                "the transactions to end (DownloadScheduled)",
        "C-43": "2.0.1 Part 5 optional feature: install firmware with ongoing transaction(s); absent: the station "
                "installs once every transaction has ended",
        "C-01": "2.0.1 Part 5 optional feature: offline transaction support (a token the station knows starts a "
            "transaction while the CSMS cannot be reached; AuthCtrlr.LocalAuthorizeOffline)",
        "ISO15118Support": "2.0.1 ISO 15118 support certification profile",
        "AuthorizationCache": "the station keeps an authorization cache (AuthCacheCtrlr)",
        "RemoteStart": "RequestStartTransaction is implemented",
        "SampledMeterValues": "the station sends sampled meter values during a transaction",
        "TriggerMessage": "TriggerMessage is implemented",
        "UnlockConnector": "the station can unlock its connector remotely",
        "DataTransfer": "the station implements DataTransfer (answering UnknownVendorId for a vendor it does not know "
            "is enough)",
        "AdvancedSecurity": "2.0.1 Advanced Security certification profile",
        "AdvancedDeviceManagement": "2.0.1 Advanced Device Management certification profile",
        "AdvancedUserInterface": "2.0.1 Advanced User Interface certification profile",
        "SmartCharging": "smart charging (1.6 profile, 2.0.1 certification profile)",
        "Reservation": "reservations (1.6 profile, 2.0.1 certification profile)",
        "GroupIdToken": "2.0.1 C09: a different idToken with the groupIdToken of the one that started a transaction "
            "may end it",
        "MasterPass": "2.0.1 C16: AuthCtrlr.MasterPassGroupId; an idToken of that group starts no transaction and "
            "ends transactions",
        "MasterPassUI": "2.0.1 C16 with a user interface: the driver chooses which transactions a master pass ends "
            "(Part 5 C-07; without one, C-08, it ends them all)",
        "BidirectionalPowerTransfer": "2.1 Bidirectional Power Transfer certification profile (block Q, V2X): a "
            "bidirectional EV's needs, charging profiles with an operationMode, import and export metered",
        "V2XLocalLoadBalancing": "2.1: the station supports operationMode LocalLoadBalancing (Q10); absent: it "
            "rejects such profiles",
        "ISO15118ServiceRenegotiationSupport": "2.1: the station can renegotiate the energy transfer service with an "
            "ISO 15118-20 EV (after rejected needs, or when the CSMS allows V2X later); absent: rejected needs end "
            "the transaction",
        "SC-8": "2.1 Part 5 optional feature: dynamic charging profiles (chargingProfileKind Dynamic, pushed by "
            "UpdateDynamicSchedule, pulled by PullDynamicScheduleUpdate)",
        "SC-9.1": "2.1 Part 5 optional feature: operationMode Idle with evseSleep (the EVSE switches its power "
            "electronics off); absent: such a period is rejected",
        "DERControl": "2.1 DER Control certification profile (block R): SetDERControl, GetDERControl, "
            "ClearDERControl, NotifyDERStartStop, NotifyDERAlarm",
        "ConfigurableTxPoints": "2.0.1: the CSMS can set TxCtrlr.TxStartPoint and TxStopPoint to a single point, "
            "PowerPathClosed or EnergyTransfer included (a point the station refuses makes its case NOT_APPLICABLE)",
        "AlignedDataSendDuringIdle": "2.0.1: AlignedDataCtrlr.SendDuringIdle is implemented (clock-aligned meter "
            "values only while no transaction runs)",
        "SignedMeterValues": "2.0.1: the station signs its meter values on request (SampledDataCtrlr.SignReadings, "
            "AlignedDataCtrlr.SignReadings): each sampled value then carries a signedMeterValue",
    })
