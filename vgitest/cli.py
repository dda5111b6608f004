"""The `vgitest` command: run the suites, check a profile, list faults and rules, analyse captures, encode/decode
EXI."""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import signal
import sys
import time
from pathlib import Path
from typing import Any

from .peer import reference_runs
from .resources import data_dir, suites_dir
from .stopping import Child, ChildRunner, exit_code


def default_jobs() -> int:
    return max(2, 2 * (os.cpu_count() or 1))


def _cmd_run(args: argparse.Namespace) -> int:
    signer, problem = _run_signer(args)
    if problem:
        print(f"vgitest run: {problem}", file=sys.stderr)
        return 2
    reports = Path(args.reports).resolve()
    allure_dir = reports / "allure-results"
    if args.clean and reports.exists():
        shutil.rmtree(reports)
    from .profilevalidate import reports_problem
    problem = reports_problem(reports)
    if problem:
        print(f"vgitest run: {problem}", file=sys.stderr)
        return 2
    reports.mkdir(parents=True, exist_ok=True)
    runs = []
    if args.profile:
        for prof in args.profile:
            if not args.suite:
                raise SystemExit("vgitest run: with --profile, name the suite folder(s) to run with --suite")
            if not _profile_usable(prof):
                return 2
            runs.append((Path(prof).stem, prof, args.suite, None))
    else:
        builtin = reference_runs()
        runs = [(r.name, r.profile, [str(suites_dir() / f) for f in (r.suite, *r.more_suites)
                                     if (suites_dir() / f).is_dir()], r.select) for r in builtin
                if (suites_dir() / r.suite).is_dir() and (data_dir("profiles") / f"{r.profile}.toml").is_file()]
        if args.only:
            unknown = sorted(set(args.only) - {r.name for r in builtin})
            if unknown:
                print(f"vgitest run: unknown run(s) {', '.join(unknown)}; the built-in runs are "
                      f"{', '.join(r.name for r in builtin)}", file=sys.stderr)
                return 2
            runs = [r for r in runs if r[0] in args.only]
    if not runs:
        print("vgitest run: nothing to run (no suites or profiles found)", file=sys.stderr)
        return 2
    if args.fuzz_seed is None:
        from .fuzzing.profiles import new_seed
        args.fuzz_seed = new_seed()
    if args.fuzz_profile != "pr":
        print(f"vgitest run: fuzz profile {args.fuzz_profile}, seed {args.fuzz_seed} (repeat with --fuzz-seed "
              f"{args.fuzz_seed})", flush=True)
    with ChildRunner() as runner:
        worst, summary = _run_all(runs, reports, allure_dir, args, runner)
    from .evidence.console import summary_table
    print("\n=== vgitest summary: verdicts per run")
    for line in summary_table(summary):
        print(f"  {line}")
    print(f"  Reports: {reports}/<run>/ (results.json, summary.md, junit.xml, evidence per case)")
    print(f"  Allure results: {allure_dir}  (one HTML file: vgitest report html {allure_dir} -o "
          f"{reports / 'report.html'})")
    if not args.profile:  # the built-in runs carry every protocol's Table 5 equivalents
        from . import table5
        print(f"  FLOW D3.1 Table 5 sizes across protocols: {table5.write(reports, allure_dir)}")
    if args.bundle and runner.signum is None:
        if _write_bundles(reports, [name for name, *_ in summary], args.argv, signer):
            worst = worst or 2
    if runner.signum is not None:
        print(f"vgitest run: stopped by {signal.Signals(runner.signum).name}; the cases that ended are in the "
              "reports, the runs after it were not started", file=sys.stderr)
        return exit_code(runner.signum)
    return worst


def _run_signer(args: argparse.Namespace) -> tuple[Any, str | None]:
    """The lab key of --sign, read and checked before any run starts (a wrong path or passphrase is then one line
    at once, not a run's worth of minutes later); (None, the problem) when it cannot sign."""
    if args.sign_cert and not args.sign:
        return None, "--sign-cert names the certificate of the --sign key: give --sign KEY.pem too"
    if not args.sign:
        return None, None
    if not args.bundle:
        return None, "--sign signs the evidence bundles, which --no-bundle turns off: drop one of the two"
    from .evidence import runbundle
    try:
        signer = runbundle.Signer.load(Path(args.sign), Path(args.sign_cert) if args.sign_cert else None)
    except runbundle.BundleError as exc:
        return None, str(exc)
    for warning in signer.warnings():
        print(f"vgitest run: warning: {warning}", file=sys.stderr)
    return signer, None


def _write_bundles(reports: Path, names: list[str], command: list[str], signer: Any = None) -> bool:
    """One evidence bundle per run (docs/evidence.md), signed by `signer` when given; True when one could not be
    written (the run's evidence exists, the proof of it does not: the exit code says so)."""
    from .evidence import runbundle
    t0 = time.monotonic()
    try:
        written = runbundle.write_run_bundles(reports, names, command=command, signer=signer)
    except (OSError, runbundle.BundleError) as exc:
        print(f"vgitest run: evidence bundle not written: {exc}", file=sys.stderr)
        return True
    if written:
        size = sum(p.stat().st_size for p in written)
        signed = f", signed with {signer.describe()}" if signer is not None else ""
        print(f"  Evidence bundles: {reports / runbundle.BUNDLES} ({len(written)}, {size / 1e6:.1f} MB, "
              f"{time.monotonic() - t0:.1f} s{signed}; check one with `vgitest report verify FILE.zip`)")
    return False


def _run_all(runs: list[tuple[Any, ...]], reports: Path, allure_dir: Path, args: argparse.Namespace,
             runner: ChildRunner) -> tuple[int, list[tuple[str, int, dict[str, int], float]]]:
    """Every run's pytest, `args.jobs` at a time (a built-in run with shards is split across that many
    processes, each with its own reference DUT), until a stop signal. The worst exit code: a pytest killed by a
    signal counts as 128 + signal, never as 0."""
    from . import shard
    jobs = max(1, args.jobs)
    builtin = {r.name: r for r in reference_runs()}
    children: list[Child] = []
    for name, profile, suites, select in runs:
        run_dir = reports / name
        n = builtin[name].shards if jobs > 1 and not args.profile and name in builtin else 1
        for k in range(1, n + 1):
            out_dir = run_dir / shard.dirname(k) if n > 1 else run_dir
            cmd = [sys.executable, "-m", "pytest", *suites, f"--vgi-profile={profile}", f"--vgi-reports={reports}",
                   f"--vgi-run-name={name}", f"--alluredir={allure_dir}", f"--junitxml={out_dir / 'junit.xml'}",
                   "-p", "no:cacheprovider", "-q", "-rfE"]
            if n > 1:
                cmd.append(f"--vgi-shard={k}/{n}")
            if select:
                cmd += ["-k", select]
            cmd += [f"--vgi-fault={f}" for f in args.fault]
            if args.strict:
                cmd.append("--vgi-strict")
            if args.adapter:
                cmd.append(f"--vgi-adapter={args.adapter}")
            cmd += [f"--vgi-fuzz-profile={args.fuzz_profile}", f"--vgi-fuzz-seed={args.fuzz_seed}"]
            cmd += args.pytest_args
            children.append(Child(cmd, None, tag=(name, profile, suites, k, n, out_dir)))
    if min(jobs, len(children)) > 1:  # side by side: each process's output in its own file
        for child in children:
            child.tag[5].mkdir(parents=True, exist_ok=True)
            child.log = child.tag[5] / "console.log"
    # longest first: the run that ends last sets the time
    expected = {name: r.expected_s for name, r in builtin.items()}
    children.sort(key=lambda c: -expected.get(c.tag[0], 30) / c.tag[4])
    t0: dict[int, float] = {}
    left = collections.Counter(c.tag[0] for c in children)
    first: dict[str, float] = {}
    worst_rc: dict[str, int] = {}
    done: dict[str, tuple[str, int, dict[str, int], float]] = {}

    def started(i: int, child: Child) -> None:
        name, profile, suites, k, n, out_dir = child.tag
        t0[i] = time.time()
        first.setdefault(name, t0[i])
        part = f" (shard {k}/{n})" if n > 1 else ""
        if child.log is None:
            print(f"\n=== vgitest run {name}: {profile} against {', '.join(suites)}", flush=True)
        else:
            print(f"=== {name}{part}: started, {profile}; output in {child.log}", flush=True)

    def ended(i: int, child: Child, rc: int) -> None:
        name, profile, suites, k, n, out_dir = child.tag
        if rc < 0:
            from .evidence.report import mark_interrupted
            signame = signal.Signals(-rc).name
            if mark_interrupted(out_dir, signame):
                print(f"vgitest run: {name} was killed by {signame}; its results.json is marked interrupted",
                      file=sys.stderr)
            junit = out_dir / "junit.xml"
            if not junit.is_file():
                from .evidence.junit import junit_from_results
                if junit_from_results(out_dir, junit):
                    print(f"vgitest run: {name}: pytest wrote no JUnit; {junit} is written from results.json",
                          file=sys.stderr)
        worst_rc[name] = max(worst_rc.get(name, 0), rc, key=lambda r: exit_code(-r) if r < 0 else r)
        left[name] -= 1
        if left[name]:
            return
        run_dir = reports / name
        if n > 1:
            shard.merge(run_dir, n)
        counts: dict[str, int] = {}
        results = run_dir / "results.json"
        if results.is_file():
            counts = json.loads(results.read_text()).get("counts", {})
        done[name] = (name, worst_rc[name], counts, time.time() - first[name])
        if child.log is not None:
            verdicts = ", ".join(f"{v} {k.lower()}" for k, v in sorted(counts.items())) or "no results"
            print(f"--- {name}: {verdicts}  (exit {worst_rc[name]}, {done[name][3]:.0f} s)", flush=True)

    runner.run_many(children, jobs, started, ended)
    summary = [done[name] for name, *_ in runs if name in done]
    worst = max((exit_code(-rc) if rc < 0 else rc for _, rc, _, _ in summary), default=0)
    return worst, summary


def _profile_usable(path: str) -> bool:
    """Validate a profile before starting a pytest process for it: its problems, one line each, on stderr."""
    import warnings
    from .profile import Profile
    from .verdict import HarnessError
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PIXIT warnings: pytest shows them with the run
            Profile.load(path)
    except HarnessError as exc:
        for line in str(exc).splitlines():
            print(f"vgitest run: {line}", file=sys.stderr)
        return False
    return True


def _cmd_faults(args: argparse.Namespace) -> int:
    from .faults import all_catalogs
    for cat in all_catalogs():
        for f in sorted(cat.faults.values(), key=lambda x: x.name):
            for version, d in f.detections:
                label = f"{cat.protocol} {version}" + (f" ({d.profile})" if d.profile else "")
                print(f"{f.name:<32} {label:<13} {d.rule:<32} {', '.join(d.tests)}")
                if args.verbose:
                    print(f"    {f.describe(version)}")
    return 0


def _cmd_rules(args: argparse.Namespace) -> int:
    from .findings import register_all
    for r in register_all().all():
        print(f"{r.id:<30} {r.severity.value:<5} {r.title}" + (f"  [{r.ref}]" if args.verbose and r.ref else ""))
    return 0


def _cmd_profiles(args: argparse.Namespace) -> int:
    for p in sorted(data_dir("profiles").glob("*.toml")):
        print(p.stem, "-", p)
    return 0


def _cmd_profile_check(args: argparse.Namespace) -> int:
    from .profilecheck import check
    return check(args.profile, host=args.host, port=args.port, adapter=args.adapter, tls_cert=args.tls_cert,
                 tls_key=args.tls_key, tls_ca=args.tls_ca)


def _cmd_serve(args: argparse.Namespace) -> int:
    from .serve import serve
    return serve(args.peer, args.profile, host=args.host, port=args.port, reports=Path(args.reports).resolve(),
                 seconds=args.seconds, tls=(args.tls_cert, args.tls_key, args.tls_ca), params=_params(args.param))


def _cmd_device(args: argparse.Namespace) -> int:
    from .profile import Profile
    from .standalone import serve
    from .verdict import HarnessError
    try:
        p = Profile.load(args.profile)
    except HarnessError as exc:
        print(f"vgitest device: {exc}", file=sys.stderr)
        return 2
    version = str(p.dut.get("version", ""))
    params = {**p.pixit, **_params(args.param)}
    try:
        serve(version, args.peer_url, str(p.dut.get("identity", "VGI-REF-001")), p.dut.get("password"),
              args.hook_host, args.hook_port, int(p.pixit.get("connectors", 1)), tuple(args.fault), params,
              protocol=p.protocol, simulator=p.adapter.get("simulator"),
              harness_params={"dut_version": version})  # what a run gives its simulators
    except KeyboardInterrupt:
        pass
    return 0


def _cmd_station(args: argparse.Namespace) -> int:
    from .standalone import serve
    try:
        serve(args.version, args.csms_url, args.identity, args.password, args.hook_host, args.hook_port,
              args.connectors, tuple(args.fault), _params(args.param), powered=not args.powered_off)
    except KeyboardInterrupt:
        pass
    return 0


def _params(pairs: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kv in pairs:
        k, _, v = kv.partition("=")
        out[k] = float(v) if v.replace(".", "", 1).isdigit() else v
    return out


def _cmd_ven(args: argparse.Namespace) -> int:
    from .standalone import serve
    try:
        serve("2.0b", args.vtn_url, args.name, None, args.hook_host, args.hook_port, 1, tuple(args.fault),
              _params(args.param), protocol="openadr", powered=not args.powered_off)
    except KeyboardInterrupt:
        pass
    return 0


def _cmd_table5(args: argparse.Namespace) -> int:
    from . import table5
    reports = Path(args.reports)
    if not any(reports.glob("*/**/frames.jsonl")):
        print(f"vgitest table5: no evidence in {reports} (run `vgitest run` first, or name its --reports)",
              file=sys.stderr)
        return 2
    md = table5.write(reports)
    print(f"vgitest table5: {md}, {md.with_suffix('.json')}, {md.with_suffix('.svg')}")
    if args.out:
        rows = table5.measure(reports)
        Path(args.out).write_text(table5.markdown(rows, "a `make run` from a clean checkout"), encoding="utf-8")
        print(f"vgitest table5: {args.out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="vgitest", description="Conformance test harness for EV, charger and grid "
                                 "protocols.")
    sub = ap.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="run the suites (default: every suite against its built-in reference simulator)")
    r.add_argument("--reports", default=os.environ.get("VGITEST_REPORTS", "reports"), help="report directory")
    r.add_argument("--profile", action="append", help="DUT profile (repeatable); needs --suite")
    r.add_argument("--suite", action="append", help="suite folder(s) to run with --profile")
    r.add_argument("--only", action="append", metavar="RUN", help="run only this built-in run (repeatable): "
                   + ", ".join(r.name for r in reference_runs()))
    r.add_argument("--fault", action="append", default=[], help="inject a named fault into the reference simulator")
    r.add_argument("--adapter", help="DUT adapter (simulated, manual, command)")
    r.add_argument("--strict", action="store_true", help="NON_STRICT counts as FAIL")
    r.add_argument("--clean", action="store_true", help="delete the report directory first")
    r.add_argument("--fuzz-profile", choices=("pr", "nightly", "cert"), default="pr",
                   help="how hard the fuzz cases search: pr (default: fast, derandomized), nightly (thousands of "
                        "examples), cert (a recorded seed); see docs/fuzz-suites.md")
    r.add_argument("--fuzz-seed", type=int, help="seed of the nightly and cert fuzz profiles (default: a new one, "
                   "printed, the same for every run)")
    r.add_argument("--no-bundle", dest="bundle", action="store_false",
                   help="do not write the evidence bundles (<reports>/bundles/<run>.zip, one per run, a sha256 "
                        "manifest of its files; `vgitest report bundle` makes one later)")
    r.add_argument("--sign", metavar="KEY.pem", help="sign every bundle the run writes with this PEM private key "
                   "(Ed25519 or ECDSA; an encrypted key's passphrase in $VGITEST_SIGN_KEY_PASSWORD), as "
                   "`vgitest report bundle --sign` does; the key is read and checked before any run starts")
    r.add_argument("--sign-cert", metavar="CERT.pem", help="with --sign: the key's certificate, or a chain (the key's "
                   "certificate first, then the intermediates), carried in each bundle's manifest.sig for "
                   "`vgitest report verify --ca`")
    r.add_argument("-j", "--jobs", type=int, default=default_jobs(), metavar="N",
                   help="pytest processes at once (default %(default)s: twice the cores, since runs mostly wait on "
                        "protocol timers); with more than one, each run's output goes to its console.log and the "
                        "longest built-in runs are split across several reference devices")
    r.add_argument("pytest_args", nargs=argparse.REMAINDER, help="extra pytest arguments after --")
    r.set_defaults(fn=_cmd_run)
    f = sub.add_parser("faults", help="list the reference simulators' fault catalog")
    f.add_argument("-v", "--verbose", action="store_true")
    f.set_defaults(fn=_cmd_faults)
    ru = sub.add_parser("rules", help="list every rule id the harness checks")
    ru.add_argument("-v", "--verbose", action="store_true")
    ru.set_defaults(fn=_cmd_rules)
    sv = sub.add_parser("serve", help="a fake peer (csms, vtn, sep2, secc, evcc) as a long-running server or client, "
                                      "outside pytest: every frame checked and printed, evidence written on Ctrl-C")
    sv.add_argument("peer", help="which fake peer: csms, vtn, sep2, secc or evcc (each protocol package declares "
                                 "its own)")
    sv.add_argument("--profile", help="DUT profile to build the peer from (identity, password, TLS, PIXIT); "
                                      "default: open (any identity, no password, plain TCP)")
    sv.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    sv.add_argument("--port", type=int, default=0, help="port to listen on (default 0: any free port, printed)")
    sv.add_argument("--reports", default=os.environ.get("VGITEST_REPORTS", "reports"),
                    help="report directory: the evidence goes to <reports>/serve-<peer>/")
    sv.add_argument("--seconds", type=float, help="stop after this many seconds (default: at Ctrl-C or SIGTERM)")
    sv.add_argument("--tls-cert", help="server certificate (PEM), with --tls-key and --tls-ca")
    sv.add_argument("--tls-key", help="server private key (PEM)")
    sv.add_argument("--tls-ca", help="CA bundle that signs the clients' certificates")
    sv.add_argument("--param", action="append", default=[], help="PIXIT key=value over the profile's (repeatable), "
                    "e.g. sdp_port=15118")
    sv.set_defaults(fn=_cmd_serve)
    dv = sub.add_parser("device", help="run the reference device a profile names as a separate process with an HTTP "
                                       "test hook, against a fake peer's URL (e.g. an EV for `vgitest serve secc`)")
    dv.add_argument("profile", help="the reference device's profile (a built-in name such as reference-ev-iso2)")
    dv.add_argument("--peer-url", required=True, help="the fake peer's URL, as `vgitest serve` prints it")
    dv.add_argument("--hook-host", default="127.0.0.1")
    dv.add_argument("--hook-port", type=int, default=0, help="port of the test hook (default 0: any, printed)")
    dv.add_argument("--fault", action="append", default=[], help="inject a named fault (see `vgitest faults`)")
    dv.add_argument("--param", action="append", default=[], help="PIXIT key=value over the profile's (repeatable)")
    dv.set_defaults(fn=_cmd_device)
    st = sub.add_parser("station", help="run a reference charging station as a separate process with an HTTP test "
                                       "hook (an 'external' DUT for the command adapter)")
    st.add_argument("--version", default="1.6", choices=["1.6", "2.0.1"])
    st.add_argument("--csms-url", required=True, help="the fake CSMS's URL without the identity, e.g. "
                                                      "ws://127.0.0.1:9000/ocpp")
    st.add_argument("--identity", default="VGI-REF-001")
    st.add_argument("--password", help="HTTP Basic password (security profile 1)")
    st.add_argument("--connectors", type=int, default=1)
    st.add_argument("--hook-host", default="127.0.0.1")
    st.add_argument("--hook-port", type=int, default=8765)
    st.add_argument("--fault", action="append", default=[], help="inject a named fault")
    st.add_argument("--param", action="append", default=[], help="PIXIT parameter key=value (repeatable)")
    st.add_argument("--powered-off", action="store_true", help="start switched off; the hook's power_on switches "
                    "it on (as a run does at its start when the profile maps power_on)")
    st.set_defaults(fn=_cmd_station)
    vn = sub.add_parser("ven", help="run the reference OpenADR 2.0b VEN as a separate program with an HTTP test hook "
                        "(what a vendor's VEN looks like to the harness)")
    vn.add_argument("--vtn-url", required=True, help="base URL of the VTN, e.g. http://127.0.0.1:8080/OpenADR2/"
                    "Simple/2.0b")
    vn.add_argument("--name", default="vgitest-ref-ven", help="the VEN name it registers with")
    vn.add_argument("--hook-host", default="127.0.0.1")
    vn.add_argument("--hook-port", type=int, default=8766)
    vn.add_argument("--fault", action="append", default=[], help="inject a named fault (see `vgitest faults`)")
    vn.add_argument("--param", action="append", default=[], help="PIXIT parameter key=value (repeatable)")
    vn.add_argument("--powered-off", action="store_true", help="start switched off; the hook's power_on switches "
                    "it on")
    vn.set_defaults(fn=_cmd_ven)
    p = sub.add_parser("profiles", help="list the built-in DUT profiles")
    p.set_defaults(fn=_cmd_profiles)
    pr = sub.add_parser("profile", help="work with a DUT profile (profile check PROFILE)")
    prs = pr.add_subparsers(dest="profile_command", required=True)
    pc = prs.add_parser("check", help="try a profile before a suite does: run each adapter action once and check "
                        "that the device connects to the fake peer",
                        description="Load the profile (PIXIT warnings, required keys), start the fake peer the "
                        "suites start, run every adapter action of the profile once in an order that leaves the "
                        "device as it was (power_on, the connection, reboot, plug_in, present_token, unplug, "
                        "fault_connector with clear_fault, ...; a destructive action only with the one that undoes "
                        "it), and check what each visibly does: OCPP, that the station connects with the "
                        "profile's identity and password and sends BootNotification; OpenADR, that the VEN "
                        "reaches the fake VTN and registers; IEEE 2030.5, that the client GETs /dcap; ISO 15118, "
                        "that the EV starts SDP after plug_in or the EVSE answers SDP. One line per step (OK, "
                        "FAILED, NOT SUPPORTED, SKIPPED, WARNING). Exit status 0: ready; 1: a step the suites "
                        "need failed; 2: the profile cannot be used.")
    pc.add_argument("profile", help="the profile (a TOML path or a built-in name)")
    pc.add_argument("--host", default="127.0.0.1", help="address the fake peer listens on (as --vgi-host)")
    pc.add_argument("--port", type=int, default=0, help="port of the fake peer (as --vgi-port; 0: any free port, "
                    "fine for simulated devices only)")
    pc.add_argument("--adapter", help="DUT adapter instead of the profile's (simulated, manual, command)")
    pc.add_argument("--tls-cert", help="as --vgi-tls-cert")
    pc.add_argument("--tls-key", help="as --vgi-tls-key")
    pc.add_argument("--tls-ca", help="as --vgi-tls-ca")
    pc.set_defaults(fn=_cmd_profile_check)
    from .fuzzing.cli import register as register_replay
    t5 = sub.add_parser("table5", help="FLOW D3.1 Table 5 across protocols: the size of the messages that carry "
                        "each row's information, from the evidence of a finished `vgitest run`")
    t5.add_argument("--reports", default=os.environ.get("VGITEST_REPORTS", "reports"),
                    help="the report directory of a run (default %(default)s)")
    t5.add_argument("--out", help="write the Markdown here too (docs/table5.md is made this way)")
    t5.set_defaults(fn=_cmd_table5)
    register_replay(sub)
    from .reportcli import register as register_report
    register_report(sub)
    from .exi.cli import register as register_exi
    register_exi(sub)
    from .iso15118.cli import register as register_analyze
    register_analyze(sub)
    return ap


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand in this process.

    SIGPIPE keeps Python's default (ignored): the station and the CSMS write to sockets a peer may close, and
    a default SIGPIPE handler would kill the whole process instead of raising an error the code handles.
    A closed stdout (``vgitest rules | head``) is handled in :func:`console_main` instead.
    """
    args = build_parser().parse_args(argv)
    args.argv = ["vgitest", *(sys.argv[1:] if argv is None else argv)]  # the command line, for the evidence bundle
    if getattr(args, "pytest_args", None) and args.pytest_args[:1] == ["--"]:
        args.pytest_args = args.pytest_args[1:]
    fn = getattr(args, "fn", None) or getattr(args, "func")  # the EXI subcommands use `func`
    return int(fn(args) or 0)


def console_main() -> int:
    """Entry point of the ``vgitest`` command: ends quietly when the reader of stdout goes away."""
    try:
        code = main()
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # no second error when the interpreter flushes at exit
        return 1


if __name__ == "__main__":
    raise SystemExit(console_main())
