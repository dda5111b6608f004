"""The PIXIT keys the OCPP suites and peers read (vgitest.pixit gathers every package's; docs/pixit.md
is generated from them)."""

from __future__ import annotations

from ..pixitkey import Key, REQUIRED, Text, key as _k

OCPP = ("ocpp16", "ocpp201")
FUZZ = ("ocpp16_fuzz", "ocpp201_fuzz")  # the fuzz suites read the keys of the booted state and of reconnection

SUITE_OF_VERSION = {"1.6": "ocpp16", "2.0.1": "ocpp201"}  # each version has its own suite

KEYS: tuple[Key, ...] = (
    _k("connectors", "how many connectors (1.6) or EVSEs with one connector each (2.0.1) the station has", OCPP + FUZZ, 1),
    _k("connector", "the connector (1.6) or EVSE (2.0.1) the cases use", OCPP + FUZZ, 1),
    _k("security_profile", "the OCPP security profile the fake CSMS enforces: 0 none, 1 HTTP Basic over ws://, 2 HTTP "
       "Basic over TLS, 3 TLS with client certificates", OCPP + FUZZ, Text("1 with a [dut] password, else 0")),
    _k("tls_material", "\"generated\": an OCPP test PKI made for the run (instead of --vgi-tls-cert/-key/-ca); the "
       "security cases then also show the station bad CSMS material (the negative TLS matrix)", OCPP + FUZZ),
    _k("cpo_name", "security profile 3: the organization name (O) a station certificate must carry", OCPP + FUZZ,
       "vgitest CPO"),
    _k("connect_timeout", "how long a (re)connection of the station may take", OCPP + FUZZ, 30, "s",
       also=((("ocpp16",), "the reusable states and boot cases", 10),)),
    _k("upgrade_configuration_slot", "a configuration slot the station has free, for the network connection profile "
       "of the next security profile (TC_A_19_CS)", ("ocpp201",), 2),
    _k("heartbeat_interval", "the heartbeat interval the fake CSMS grants in its BootNotification answer", OCPP + FUZZ, 60,
       "s"),
    _k("boot_timeout", "how long from power-on, a reboot or a reset until the station's BootNotification", OCPP + FUZZ, 8,
       "s", by_suite=(("ocpp201", 15),), aliases=("boot_wait",)),
    _k("boot_retry_interval", "the interval the fake CSMS gives in a Pending or Rejected boot answer", OCPP + FUZZ, 2, "s"),
    _k("message_wait", "how long a case waits for a message the scenario requires", OCPP, 10, "s",
       by_suite=(("ocpp16", 5),), also=((("ocpp201",), "the reusable states and the boot cases", 5),),
       aliases=("message_timeout",)),
    _k("quiet_wait", "how long a case watches for a message the scenario forbids", OCPP, 2, "s"),
    _k("quiet_after_cleanup", "after a case's clean-up (or a preamble that stopped something), how long the station "
       "must have been silent before the next step, so that what the clean-up causes does not land in the next case "
       "(bounded by message_wait)", OCPP + FUZZ, 0.5, "s"),
    _k("heartbeat_test_interval", "the short HeartbeatInterval TC_VGI_HB_01_CS sets to check that the station honours "
       "it (judged with a tolerance that scales with the interval, schemas/budgets/ocpp.toml)", OCPP, 3, "s"),
    _k("ocpp_interface", "the network interface TC_B_43_CS names in its SetNetworkProfile connection data "
       "(OCPPInterfaceEnumType)", ("ocpp201",), "Wired0"),
    _k("short_ev_connection_timeout", "the short TxCtrlr.EVConnectionTimeOut TC_F_04_CS sets to see a remote-started "
       "transaction without an EV end", ("ocpp201",), 2, "s"),
    _k("aligned_interval", "the AlignedDataCtrlr.Interval (TC_J_01_CS) and TxEndedInterval (TC_J_03_CS) the clock-aligned "
       "cases set", ("ocpp201",), 2, "s"),
    _k("aligned_interval_tx", "the AlignedDataCtrlr.Interval TC_J_02_CS sets during a transaction (other than "
       "aligned_interval, so that each case sees readings of its own setting)", ("ocpp201",), 3, "s"),
    _k("aligned_tx_duration", "how long TC_J_03_CS lets its transaction run before it ends it (default: 2.5 x "
       "aligned_interval)", ("ocpp201",), 5, "s"),
    _k("read_only_variable", "a variable TC_B_39_CS writes to check that a ReadOnly variable cannot be written, as "
       "\"Component.Variable\" (default: the first ReadOnly variable of the station's FullInventory report)",
       ("ocpp201",)),
    _k("valid_id_token", "an idTag (1.6) or idToken (2.0.1) the station accepts; the fake CSMS authorizes it",
       OCPP, REQUIRED),
    _k("other_id_token", "a second valid idTag, different from valid_id_token (remote start and local "
       "authorization cases)", ("ocpp16",), REQUIRED, aliases=("other_valid_id_token",)),
    _k("invalid_id_token", "an idTag (1.6) or idToken (2.0.1) the fake CSMS answers Invalid", OCPP, REQUIRED),
    _k("second_id_token", "a second idToken the station reads, other than valid_id_token (2.0.1: presenting another "
       "token during a transaction, group ids, master pass); unset: the cases that need it are NOT_APPLICABLE",
       ("ocpp201",)),
    _k("id_token_type", "the IdTokenType of the tokens (2.0.1)", ("ocpp201",), "ISO14443"),
    _k("meter_sample_interval", "the station's interval of sampled meter values in a transaction, as configured on "
       "it (1.6 MeterValueSampleInterval, 2.0.1 SampledDataCtrlr.TxUpdatedInterval); the meter cases wait for "
       "samples at this interval. The reference stations start with it", OCPP, 1, "s",
       also=((OCPP, "the reference stations", 60),), aliases=("meter_interval",)),
    _k("connection_timeout", "the station's time from authorization to plug-in before it gives up (1.6 "
       "ConnectionTimeOut, 2.0.1 TxCtrlr.EVConnectionTimeOut); the 1.6 reusable states wait this long (plus 2 s) "
       "for an unplugged connector to be Available. The reference stations start with it", OCPP + FUZZ, 4, "s",
       also=((OCPP, "the reference stations", 30),), aliases=("ev_connection_timeout",)),
    _k("unknown_connector", "a connector id the station does not have", ("ocpp16",), 9),
    _k("fixed_cable", "whether the connector the cases use has a permanently attached cable (no socket lock to "
       "release): the unlock cases for a fixed cable apply (TC_017_2_CS, TC_018_2_CS), those for a socket do not "
       "(TC_017_1_CS, TC_018_1_CS); the reference 1.6 station then answers UnlockConnector NotSupported",
       ("ocpp16",), False),
    _k("sc_limit_settle_s", "how long after a charging limit comes into force the station may take to bring the current "
       "or power at the connector under it; the smart charging cases judge the MeterValues sampled after that",
       ("ocpp16",), 5, "s"),
    _k("offline_duration", "how long the offline cases keep the fake CSMS unreachable (the connection closed, "
       "reconnections refused with HTTP 503); TC_036_CS stays offline at least three meter sample intervals",
       ("ocpp16",), 10, "s"),
    _k("file_server_host", "the address written into the file service's URLs (UpdateFirmware, GetDiagnostics "
       "locations): where the station reaches the harness; unset: the address the fake CSMS listens on (127.0.0.1 "
       "when that is every interface)", OCPP),
    _k("file_transfer", "the protocol of the file service the firmware and diagnostics cases hand out: \"http\" or "
       "\"ftp\" (faults slow and cut, and so TC_VGI_FW_01_CS, are HTTP only)", OCPP, "http"),
    _k("file_server_port", "the file service's TCP port (0: any free port)", OCPP, 0),
    _k("firmware_image", "a firmware image file the station installs (the firmware cases serve it; a corrupted copy "
       "for the installation-failure case); unset: an image in the reference stations' format", OCPP),
    _k("firmware_timeout", "how long a firmware case waits from UpdateFirmware for the station's last "
       "FirmwareStatusNotification (download, install and reboot)", OCPP, 120, "s"),
    _k("diagnostics_timeout", "how long a diagnostics case waits from GetDiagnostics for the station's last "
       "DiagnosticsStatusNotification (2.0.1: from GetLog for the last LogStatusNotification)",
       ("ocpp16", "ocpp201"), 60, "s"),
    _k("unknown_vendor", "a DataTransfer vendorId the station does not know", ("ocpp201",), "com.example.unknown"),
    _k("call_timeout", "how long the reference station waits for an answer of the CSMS (2.0.1: its "
       "OCPPCommCtrlr.MessageTimeout)", OCPP, 10, "s", aliases=("station_call_timeout",), reference=True),
    _k("clock_aligned_interval", "the reference 1.6 station's ClockAlignedDataInterval at start (0: off)",
       ("ocpp16",), 0, "s", reference=True),
    _k("stop_before_power_loss", "the reference 1.6 station ends its transactions (reason PowerLoss) before a power "
       "cut takes it down, as a station with backup energy (declare PICS StopTxBeforePowerLoss with it)", ("ocpp16",),
       False, reference=True),
    _k("data_transfer_vendor_id", "the one DataTransfer vendorId the reference station knows", OCPP, "org.vgitest",
       aliases=("data_transfer_vendor",), reference=True),
    _k("status_by", "how the reference 2.1 station reports connector states: \"StatusNotification\", or "
       "\"NotifyEvent\" (component Connector, variable AvailabilityState, the form 2.1 prefers)", ("ocpp201",),
       "StatusNotification", reference=True),
    _k("data_transfer_message_id", "the DataTransfer messageId the reference 1.6 station answers", ("ocpp16",),
       "echo", reference=True),
    _k("feature_profiles", "the 1.6 feature profiles the reference station implements (its SupportedFeatureProfiles; "
       "LocalAuthListManagement and Reservation can be left out, SmartCharging added)", ("ocpp16",),
       "Core,RemoteTrigger,LocalAuthListManagement,Reservation", reference=True),
    _k("late_response_s", "how late the reference station answers with the late_response fault", OCPP, 3, "s",
       reference=True),
    _k("reboot_delay", "how long the reference 2.0.1 station stays off in a reboot", ("ocpp201",), 0.2, "s",
       reference=True),
    _k("reconnect_delay", "how long the reference 2.0.1 station waits before it reconnects", ("ocpp201",), 0.5, "s",
       reference=True),
    _k("power_w", "the reference 2.0.1 station's maximum power", ("ocpp201",), 11000, "W", reference=True),
    _k("vendor", "the reference 2.0.1 station's vendor name", ("ocpp201",), "vgitest", reference=True),
    _k("model", "the reference 2.0.1 station's model", ("ocpp201",), "VGI-REF-201", reference=True),
    # OCPP 2.1 blocks Q (V2X) and R (DER control)
    _k("v2x_energy_transfer", "the bidirectional energy transfer mode of the EV the V2X cases plug in (plug_in mode)",
       ("ocpp21",), "DC_BPT"),
    _k("v2x_settle_s", "how long after a V2X setpoint the station may take before its metered power follows it",
       ("ocpp21",), 2, "s"),
    _k("v2x_power_tolerance_w", "how far the metered net power may be from a V2X setpoint (or 5 % of it, whichever is "
       "larger)", ("ocpp21",), 200, "W"),
    _k("v2x_discharge_w", "the discharge power the V2X cases ask for when the EV reported no maxDischargePower (else "
       "half of it)", ("ocpp21",), 4000, "W"),
    _k("v2x_profile_duration_s", "how long the schedule of the V2X profile TC_Q_118_CS lets run out lasts (at least "
       "v2x_settle_s plus four TxUpdatedIntervals and a second)", ("ocpp21",), 6, "s"),
    _k("v2x_dyn_update_interval_s", "the dynUpdateInterval of the dynamic profile TC_Q_110_CS sets (the station must "
       "pull its update within it)", ("ocpp21",), 2, "s"),
    _k("der_control_type", "the DER control type the DER cases configure (one the station supports)", ("ocpp21",),
       "FixedPFAbsorb"),
    _k("der_other_control_type", "a second supported DER control type, with its setting in another field",
       ("ocpp21",), "FixedPFInject"),
    _k("der_unsupported_control", "DER control types the station does not support (comma-separated; TC_R_103_CS sets "
       "the first and expects NotSupported); empty: that step is left out", ("ocpp21",), ""),
    _k("der_grid_event", "the gridEventFault TC_R_108_CS makes the inverter see (action grid_event)", ("ocpp21",),
       "OverVoltage"),
    _k("firmware_signing_certificate", "the firmware signing certificate (PEM file) the secure firmware cases send "
       "(2.0.1 block L), one the station's manufacturer root issued; unset: the reference signing certificate, which "
       "only the reference stations trust", ("ocpp201",)),
    _k("firmware_signing_key", "the private key (PEM file) of firmware_signing_certificate: the cases sign the images "
       "they serve with it", ("ocpp201",)),
    _k("firmware_signature", "instead of firmware_signing_key: the base64 signature over firmware_image (the cases "
       "that need another signed image are then INCONCLUSIVE)", ("ocpp201",)),
    _k("firmware_invalid_signing_certificate", "a signing certificate (PEM file) the station must refuse "
       "(TC_L_05_CS); unset: one from a root nobody trusts", ("ocpp201",)),
    _k("firmware_invalid_image", "an image that downloads whole but fails the station's installation check "
       "(TC_L_08_CS, signed with firmware_signing_key); unset: the reference image with bytes changed", ("ocpp201",)),
    _k("firmware_schedule_s", "how far in the future the scheduled firmware cases put retrieveDateTime "
       "(TC_L_03_CS) and installDateTime (TC_L_02_CS)", ("ocpp201",), 3, "s"),
    _k("firmware_root", "the manufacturer root certificates (PEM file) the reference 2.0.1 station trusts for "
       "firmware; unset: the reference signing PKI's root", ("ocpp201",), reference=True),
    _k("firmware_cancel", "whether the reference 2.0.1 station cancels an update in progress for a new "
       "UpdateFirmware (AcceptedCanceled; PICS C-60) or refuses the new one (Rejected)", ("ocpp201",), True,
       reference=True),
    _k("firmware_download_during_tx", "whether the reference 2.0.1 station downloads firmware while a transaction "
       "runs (PICS AQ-7); else it waits for the transactions to end (DownloadScheduled)", ("ocpp201",), True,
       reference=True),
    _k("firmware_install_during_tx", "whether the reference 2.0.1 station installs firmware while a transaction "
       "runs (PICS C-43); else it waits for the transactions to end", ("ocpp201",), False, reference=True),
    _k("network_slot", "the free configuration slot TC_B_45_CS / TC_B_46_CS store a new network connection profile in",
       ("ocpp201",), 2),
    _k("csms_alternate_url", "a second URL of the same fake CSMS for TC_B_45_CS (the profile the station migrates "
       "to)", ("ocpp201",), Text("the CSMS URL with localhost for 127.0.0.1")),
)
