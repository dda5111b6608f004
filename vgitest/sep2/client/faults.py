"""Names and descriptions of the reference DER client's injectable faults.

Each one is a deliberate, vendor-recognisable defect implemented in the modules of this package behind
``core.has(name)`` (:mod:`.core`). They are not registered in :mod:`vgitest.faults` here: a fault enters the
catalog together with the suite test that catches it and that test's rule id, once the CSIP suites exist.
"""

from __future__ import annotations

from collections.abc import Iterable

FAULTS: dict[str, str] = {
    # polling and time
    "poll_too_fast": "Polls every resource at 0.3 times the pollRate the server gave",
    "poll_too_slow": "Polls every resource at 2.5 times the pollRate the server gave",
    "no_list_polling": "Reads its FunctionSetAssignmentsList and DERProgramLists when it walks from the "
                       "DeviceCapability, and never polls them again",
    "no_control_list_polling": "Reads each DERControlList when it walks from the DeviceCapability, and never polls "
                               "it again",
    "skip_time_sync": "Never reads /tm and runs on its own clock, which is 300 s behind the server's",
    "stops_during_outage": "Stops polling for good after the first HTTP 5xx answer",
    "ignores_retry_after": "Polls a resource the server refused with 429 or 503 again at its own pace, not after the "
                           "Retry-After the answer gave",
    # registration and identity
    "skip_registration_check": "Proceeds although the Registration's pIN differs from its configured PIN",
    "never_reads_registration": "Never reads its Registration (takes the PIN for granted) and proceeds at once",
    "registers_in_band_always": "POSTs its EndDevice even when the server already lists it",
    "wrong_lfdi_in_end_device": "The EndDevice it POSTs carries an lFDI that is not its certificate's",
    "wrong_sfdi_check_digit": "The EndDevice it POSTs carries an sFDI with a wrong check digit",
    # groups (function set assignments)
    "reads_first_fsa_only": "Follows only the first FunctionSetAssignments of its list (its first group)",
    "keeps_removed_fsa": "Keeps applying the programs of a group after the server took that group off its list",
    "stays_disconnected": ("Stays at 0 W after a disconnect or de-energize event has ended (does not enter service "
                           "again)"),
    # event precedence and application
    "ignores_primacy": ("Of overlapping events, or default controls, of different programs follows the program "
                        "with the highest primacy number"),
    "applies_superseded": "Of overlapping events of one program, keeps the older one",
    "ignores_default_control": "Runs unlimited when no event is active instead of applying the DefaultDERControl",
    "default_over_event": "Applies the DefaultDERControl even while an event is in force",
    "keeps_only_next_event": ("Holds one scheduled event at a time: of two received events the later-starting one "
                              "is dropped"),
    "resumes_superseded": "Returns to an event it reported superseded once the event that superseded it ends",
    "supersedes_independent": "Treats overlapping events as conflicting even when they set different control modes",
    "ignores_cancellation": "Keeps applying an event after the server cancelled it (and never answers 6)",
    "ignores_randomization": "Starts events exactly at their start time although randomizeStart is set",
    "randomizes_beyond_bound": "Shifts event starts by twice randomizeStart (beyond the allowed window)",
    # event responses
    "no_received_response": "Never posts Response 1 (event received)",
    "no_started_response": "Never posts Response 2 (event started)",
    "no_completed_response": "Never posts Response 3 (event completed)",
    "no_cancelled_response": "Never posts Response 6 (event cancelled)",
    "no_superseded_response": "Never posts Response 7 (event superseded)",
    "wrong_response_status_order": "Posts Response 1 (received) only after 2 (started)",
    "response_wrong_lfdi": "Its Responses carry an endDeviceLFDI that is not its certificate's",
    "response_wrong_subject": "Its Responses name an mRID the server never sent",
    "late_started_response": "Posts Response 2 (started) a minute after the event really started",
    # what it writes
    "wrong_reading_type": "Declares its real-power reading with uom 72 (Wh) instead of 38 (W)",
    "readings_without_reading_type": "Creates its MirrorMeterReading without a ReadingType",
    "no_der_settings": "Never PUTs its DERSettings",
    "no_vpp_modes": "In CSIP-AUS v1.3-beta storage mode declares no VPP modes (neither vppModesSupported nor "
                    "vppModesEnabled)",
    "vpp_modes_disabled": "In CSIP-AUS v1.3-beta storage mode supports opModStorageTargetW but enables no VPP mode "
                          "(vppModesEnabled 00)",
    "ignores_storage_target": "In CSIP-AUS v1.3-beta storage mode ignores a control's opModStorageTargetW",
    "der_capability_schema_violation": "Its DERCapability has the elements out of schema order",
    "wrong_content_type": "Sends its bodies as application/xml instead of application/sep+xml",
    # transport security
    "accepts_bad_chain": "Verifies the server chain with plain OpenSSL only: accepts the COMM-004 D/E/F chains",
    "accepts_any_server": "Verifies no server certificate at all",
    "offers_only_other_suite": "Offers only ECDHE-ECDSA-AES128-GCM-SHA256, not the CSIP suite",
    "refuses_deep_chains": "Refuses server chains deeper than two certificates (a valid MICA or MCA in the chain)",
    "requires_mica": "Refuses a valid server chain of depth 2 (SERCA and server certificate only)",
    # discovery and programs
    "guesses_paths": "Asks for a program list at a path the server never gave it",
    "first_program_only": "Follows only the first program of its DERProgramList",
    # control modes and reports
    "ignores_connect": "Keeps charging when told to disconnect (opModConnect false), though it obeys opModEnergize "
                       "false",
    "ignores_energize": "Keeps charging when told to cease to energize (opModEnergize false), though it obeys "
                        "opModConnect false",
    "ignores_max_limit": "Ignores opModMaxLimW",
    "ignores_doe_limits": "In CSIP-AUS mode, ignores the CSIP-AUS limits (opModImpLimW, opModExpLimW, opModGenLimW, "
                          "opModLoadLimW) it declares it supports",
    "limit_reverses_flow": "In CSIP-AUS mode, meets a binding import or export limit by reversing its flow at full "
                           "power (a sign error in its limit controller: it discharges under an import limit, "
                           "charges under an export limit)",
    "no_site_readings": "In CSIP-AUS mode, never creates or posts its site MirrorUsagePoint (only the DER's "
                        "readings)",
    "slow_readings": "In CSIP-AUS mode, posts its readings at a quarter of the rate asked (every four postRates)",
    "no_stored_energy_readings": "In CSIP-AUS mode, reports no stored energy (Wh) of its battery",
    "ignores_fixed_w": "Ignores opModFixedW",
    "ignores_target_w": "Ignores opModTargetW",
    "ignores_volt_var": "Ignores the volt-var curve (opModVoltVar): no reactive power as the voltage moves",
    "ignores_volt_watt": "Ignores the volt-watt curve (opModVoltWatt): full output at any voltage",
    "ignores_freq_watt": "Ignores the frequency-watt curve (opModFreqWatt): full output at any frequency",
    "ignores_fixed_pf": "Ignores the fixed power factors (opModFixedPFInjectW, opModFixedPFAbsorbW): unity power "
                        "factor",
    "ignores_watt_pf": "Ignores the watt-power factor curve (opModWattPF): unity power factor",
    "ignores_fixed_var": "Ignores the reactive power set point (opModFixedVar): no reactive power",
    "ignores_watt_var": "Ignores the watt-var curve (opModWattVar): no reactive power as the output changes",
    "ignores_ramp_rate": "Ignores setGradW: steps to every new output instead of ramping",
    "ignores_voltage_trip": "Ignores the voltage must-trip curves (opModLVRTMustTrip, opModHVRTMustTrip): keeps "
                            "energizing",
    "ignores_frequency_trip": "Ignores the frequency must-trip curves (opModLFRTMustTrip, opModHFRTMustTrip): keeps "
                              "energizing",
    "no_log_events": "Never reports alarms (no LogEvent)",
    "no_der_status": "Never PUTs its DERStatus",
    "status_ignores_site": ("Its DERStatus always says connected, available and operational, whatever is done to "
                            "its DER on site (disconnected from the grid, stopped, units powered off)"),
    "no_connection_point": "In CSIP-AUS mode, never writes its ConnectionPoint (the NMI it is installed at)",
    "ignores_pricing": "Never follows its groups' TariffProfileListLink: reads no tariffs",
    "pricing_at_dcap_rate": "Polls the pricing lists below a TariffProfileList at the DeviceCapability's pollRate "
                            "instead of the TariffProfileList's",
    "no_cancelled_price_response": "Never answers PriceResponse 6 (cancelled) for a TimeTariffInterval the server "
                                   "cancelled",
    "ignores_wellknown": "In CSIP-AUS mode, never reads /.well-known/csipaus: walks from its configured "
                         "DeviceCapability path",
    "no_drm_status": "In CSIP-AUS mode, follows a demand response instruction (a DRM) but reports operationalModeStatus "
                     "2 (operational) instead of 100 + the DRM",
    # subscriptions and notifications (subscription mode, PIXIT subscribe = true)
    "no_subscription": "Never subscribes, although it runs in subscription mode: it only polls",
    "subscribes_to_wrong_resource": "Subscribes to each DERProgram instead of the program's DERControlList",
    "notification_wrong_status": "Answers the Notifications it takes with 200 OK instead of 201 Created",
    "ignores_notifications": "Answers Notifications 201 but acts on a change only at its next poll",
    "trusts_partial_notification": ("Takes the items a Notification carries for the whole list, also when the list "
                                    "holds more (all > results)"),
    "rejects_cancel_notification": "Refuses (400) a Notification without a Resource, such as the end of a subscription",
    "accepts_malformed_notification": "Answers 201 to anything POSTed to its listener, a body that is not XML included",
    "listener_dies_on_bad_notification": "Stops its notification listener after a Notification it cannot read",
    # robustness: defects only generated or broken resources reveal (vgitest.sep2.client.reading; suites/csip_fuzz)
    "crash_on_long_string": "A value longer than the buffer its parser sized from the schema (a description over "
                            "32 characters, an mRID over 32 hex digits, any value over 64) crashes it: it polls "
                            "nothing for 4 s, then walks again from the DeviceCapability",
    "crash_on_non_ascii": "A resource holding a non-ASCII character crashes its parser (4 s without polling, then "
                          "it walks again)",
    "accepts_schema_invalid": "Does not check resources against the schema: a DERControl or DefaultDERControl "
                              "broken in one place is acted on",
    "accepts_out_of_range": "Checks the structure of resources but not their values: a value of the wrong type, "
                            "out of its bounds or too long is acted on",
    "treats_malformed_as_valid": "Reads bodies with a recovering XML parser: what it makes of a body that is not "
                                 "well-formed XML (cut short, garbled) is acted on",
    "hangs_on_unknown_status": "An EventStatus currentStatus it does not know (other than 0-4, all valid UInt8s) "
                               "stops its polling for 4 s",
    "crash_on_cut_body": "An answer whose body ends before its Content-Length (the connection cut) stops its "
                         "polling for good",
    # life cycle: defects only a sequence of changes reveals (vgitest.sep2.models)
    "keeps_cancelled_limit": "After the server cancels the event in force it answers 6 (cancelled) but keeps "
                             "that event's control until another event starts, instead of the DefaultDERControl",
    "primacy_read_once": "Reads a program's primacy when it first sees the program: a later change of primacy "
                         "is ignored",
}


IGNORED_BY_FAULT = {  # fault -> the DERControlBase elements it makes the client ignore
    "ignores_volt_var": ("opModVoltVar",), "ignores_volt_watt": ("opModVoltWatt",),
    "ignores_freq_watt": ("opModFreqWatt",), "ignores_fixed_pf": ("opModFixedPFInjectW", "opModFixedPFAbsorbW"),
    "ignores_watt_pf": ("opModWattPF",), "ignores_voltage_trip": ("opModLVRTMustTrip", "opModHVRTMustTrip"),
    "ignores_frequency_trip": ("opModLFRTMustTrip", "opModHFRTMustTrip"), "ignores_fixed_var": ("opModFixedVar",),
    "ignores_watt_var": ("opModWattVar",), "ignores_connect": ("opModConnect",), "ignores_energize": ("opModEnergize",)}


def ignored_elements(faults: Iterable[str]) -> frozenset[str]:
    """The DERControlBase elements these faults make the client ignore."""
    chosen = set(faults)
    return frozenset(e for f, elements in IGNORED_BY_FAULT.items() if f in chosen for e in elements)


def check_names(names: Iterable[str]) -> None:
    """Refuse unknown fault names: a typo must never run a clean client under a faulty label."""
    unknown = sorted(n for n in names if n not in FAULTS)
    if unknown:
        raise ValueError(f"unknown fault(s) for the reference DER client: {', '.join(unknown)}; known: "
                         f"{', '.join(sorted(FAULTS))}")
