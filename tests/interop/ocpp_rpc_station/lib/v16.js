'use strict';
// SPDX-License-Identifier: Apache-2.0
// The OCPP 1.6J Core (+ RemoteTrigger) behaviour of the station, written from OCPP 1.6 edition 2.
// Choices the standard leaves open are listed in ../README.md.

const { Core, utcnow } = require('./core');
const { Meter } = require('./meter');

const MEASURANDS = ['Energy.Active.Import.Register', 'Power.Active.Import', 'Current.Import', 'Voltage'];

const isInt = (lo) => (v) => /^\s*-?\d+\s*$/.test(v) && Number(v) >= lo;
const isBool = (v) => /^(true|false)$/i.test(v);
const isMeasurands = (max) => (v) => {
    const parts = v.split(',').map((p) => p.trim()).filter(Boolean);
    return parts.length <= max && parts.every((p) => MEASURANDS.includes(p));
};

class Station16 extends Core {
    constructor(o) {
        super({ ...o, version: '1.6' });
        const p = (k, d) => String(this.param(k, d));
        // key: [value, readonly, validator]; kept across power cycles (non-volatile)
        this.config = {
            AllowOfflineTxForUnknownId: ['false', false, isBool],
            AuthorizationCacheEnabled: ['true', false, isBool],
            AuthorizeRemoteTxRequests: ['false', false, isBool],
            ClockAlignedDataInterval: [p('clock_aligned_interval', 0), false, isInt(0)],
            ConnectionTimeOut: [p('connection_timeout', 30), false, isInt(1)],
            ConnectorPhaseRotation: [[...Array(this.n + 1).keys()].map((i) => `${i}.RST`).join(','), false, () => true],
            GetConfigurationMaxKeys: ['20', true, null],
            HeartbeatInterval: [p('heartbeat_interval', 300), false, isInt(0)],
            LocalAuthorizeOffline: ['true', false, isBool],
            LocalPreAuthorize: ['false', false, isBool],
            MeterValuesAlignedData: ['Energy.Active.Import.Register', false, isMeasurands(4)],
            MeterValuesAlignedDataMaxLength: ['4', true, null],
            MeterValuesSampledData: ['Energy.Active.Import.Register,Power.Active.Import', false, isMeasurands(4)],
            MeterValuesSampledDataMaxLength: ['4', true, null],
            MeterValueSampleInterval: [p('meter_sample_interval', 60), false, isInt(0)],
            NumberOfConnectors: [String(this.n), true, null],
            ResetRetries: ['2', false, isInt(0)],
            StopTransactionOnEVSideDisconnect: ['true', false, isBool],
            StopTransactionOnInvalidId: ['true', false, isBool],
            StopTxnAlignedData: ['', false, isMeasurands(4)],
            StopTxnSampledData: ['', false, isMeasurands(4)],
            SupportedFeatureProfiles: ['Core,RemoteTrigger', true, null],
            TransactionMessageAttempts: ['3', false, isInt(1)],
            TransactionMessageRetryInterval: ['5', false, isInt(0)],
            UnlockConnectorOnEVSideDisconnect: ['true', false, isBool],
        };
        this.stationAvailable = true;
        this.connectors = [];
        for (let id = 1; id <= this.n; id += 1) {
            this.connectors.push({ id, plugged: false, operative: true, pendingInoperative: false, auth: null,
                tx: null, finishing: false, reported: null, meter: new Meter(1000 * id), authTimer: null,
                sampleTimer: null });
        }
        this.reported0 = null;
        this.cache = new Map();     // idTag -> idTagInfo (authorization cache)
        this.interrupted = [];      // transactions a power loss cut: stopped after the next boot
        this.pendingReset = null;
        this.nextLocalTx = 1;
    }

    get(key) { return this.config[key][0]; }
    flag(key) { return this.get(key).toLowerCase() === 'true'; }
    num(key) { return Number(this.get(key)) || 0; }
    heartbeatInterval() { return this.num('HeartbeatInterval'); }
    setHeartbeatInterval(s) { this.config.HeartbeatInterval[0] = String(s); }
    txAttempts() { return Math.max(1, this.num('TransactionMessageAttempts')); }
    txRetryInterval() { return this.num('TransactionMessageRetryInterval'); }
    conn(id) { return this.connectors.find((c) => c.id === id); }

    bootPayload() {
        return { chargePointVendor: this.param('vendor', 'ocpp-rpc-interop'), chargePointModel: this.param('model', 'RPC-16'),
            chargePointSerialNumber: this.identity.slice(0, 25), firmwareVersion: '1.0.0' };
    }

    // ---- power and link --------------------------------------------------------------------------------

    onPowerOn() {
        for (const c of this.connectors) {
            c.reported = null; c.auth = null; c.finishing = false;
        }
        this.reported0 = null;
    }

    onPowerOff() {
        for (const c of this.connectors) {
            if (c.tx) { c.tx.stopReason = c.tx.stopReason || 'PowerLoss'; this.interrupted.push(c.tx); c.tx = null; }
            c.auth = null; c.authTimer = null; c.sampleTimer = null;
        }
    }

    onAccepted() {
        // transactions a power loss cut end now, with the meter value the station had (OCPP 1.6 §5.15 reason PowerLoss)
        for (const tx of this.interrupted.splice(0)) this.sendStop(tx, tx.stopReason);
        this.applyPendingAvailability();
        this.reportStatus(true);
        this.startAligned();
    }

    onReconnected() {
        this.reportStatus(false);
    }

    // ---- connector state -------------------------------------------------------------------------------

    status(c) {
        if (c.tx) {
            if (!c.plugged) return 'SuspendedEV';
            return c.tx.suspended ? 'SuspendedEVSE' : 'Charging';
        }
        if (!c.operative || !this.stationAvailable) return 'Unavailable';
        if (c.plugged && c.finishing) return 'Finishing';
        if (c.plugged || c.auth) return 'Preparing';
        return 'Available';
    }

    /** StatusNotification for every connector whose state differs from what the CSMS was told (all with `all`). */
    reportStatus(all) {
        const s0 = this.stationAvailable ? 'Available' : 'Unavailable';
        if (all || s0 !== this.reported0) {
            this.reported0 = s0;
            this.send('StatusNotification', { connectorId: 0, errorCode: 'NoError', status: s0, timestamp: utcnow() });
        }
        for (const c of this.connectors) {
            const s = this.status(c);
            if (all || s !== c.reported) {
                if (this.online && this.registration === 'Accepted') c.reported = s;
                this.send('StatusNotification', { connectorId: c.id, errorCode: 'NoError', status: s, timestamp: utcnow() });
            }
        }
    }

    changed() { this.reportStatus(false); }

    /** The states now, reported a moment later (after the answer to the CSMS request that changed them). */
    reportLater() {
        const s0 = this.stationAvailable ? 'Available' : 'Unavailable';
        const snap = this.connectors.map((c) => [c, this.status(c)]);
        this.later(() => {
            const live = this.online && this.registration === 'Accepted';
            if (s0 !== this.reported0) {
                if (live) this.reported0 = s0;
                this.send('StatusNotification', { connectorId: 0, errorCode: 'NoError', status: s0, timestamp: utcnow() });
            }
            for (const [c, s] of snap) {
                if (s === c.reported) continue;
                if (live) c.reported = s;
                this.send('StatusNotification', { connectorId: c.id, errorCode: 'NoError', status: s, timestamp: utcnow() });
            }
        });
    }

    // ---- authorization ---------------------------------------------------------------------------------

    async authorize(idTag) {
        if (this.flag('LocalPreAuthorize') && this.flag('AuthorizationCacheEnabled')) {
            const hit = this.cached(idTag);
            if (hit && hit.status === 'Accepted') return hit;
        }
        if (this.online && this.registration === 'Accepted') {
            const res = await this.send('Authorize', { idTag });
            if (res) { this.remember(idTag, res.idTagInfo); return res.idTagInfo; }
        }
        if (this.flag('LocalAuthorizeOffline')) {
            const hit = this.cached(idTag);
            if (hit) return hit;
        }
        return { status: this.flag('AllowOfflineTxForUnknownId') && !this.online ? 'Accepted' : 'Invalid' };
    }

    cached(idTag) {
        const info = this.cache.get(idTag);
        if (!info) return null;
        if (info.expiryDate && Date.parse(info.expiryDate) < Date.now()) return { ...info, status: 'Expired' };
        return info;
    }

    remember(idTag, info) {
        if (this.flag('AuthorizationCacheEnabled') && info) this.cache.set(idTag, info);
    }

    // ---- DUT actions (test hook) ---------------------------------------------------------------------

    plugIn(id) {
        const c = this.conn(id);
        if (!c) throw new Error(`no connector ${id}`);
        if (c.plugged) return;
        c.plugged = true;
        c.finishing = false;
        if (c.tx) { this.changed(); return; }          // EV back during a transaction kept open (SuspendedEV)
        if (c.auth && c.operative && this.stationAvailable) this.startTx(c, c.auth);
        else this.changed();
    }

    unplug(id) {
        const c = this.conn(id);
        if (!c) throw new Error(`no connector ${id}`);
        if (!c.plugged) return;
        c.plugged = false;
        c.finishing = false;
        if (c.tx && this.flag('StopTransactionOnEVSideDisconnect')) this.stopTx(c, 'EVDisconnected');
        else this.changed();
    }

    async presentToken(id, idTag) {
        const c = this.conn(id) || this.connectors[0];
        if (c.tx) {
            if (c.tx.idTag === idTag) { this.stopTx(c, 'Local', idTag); return; }
            const info = await this.authorize(idTag);
            if (info.status === 'Accepted' && info.parentIdTag && info.parentIdTag === c.tx.parentIdTag) {
                this.stopTx(c, 'Local', idTag);
            }
            return;
        }
        if (!c.operative || !this.stationAvailable) return;
        const info = await this.authorize(idTag);
        if (info.status !== 'Accepted' || c.tx) return;
        this.authorized(c, { idTag, parentIdTag: info.parentIdTag });
    }

    /** A valid identification for connector c: start now if the EV is there, else wait ConnectionTimeOut for it. */
    authorized(c, auth) {
        c.auth = auth;
        if (c.plugged) { this.startTx(c, auth); return; }
        this.cancel(c.authTimer);
        c.authTimer = this.after(1000 * this.num('ConnectionTimeOut'), () => {
            if (c.auth === auth && !c.tx) { c.auth = null; this.changed(); }
        });
        this.changed();
    }

    // ---- transactions ----------------------------------------------------------------------------------

    startTx(c, auth) {
        this.cancel(c.authTimer);
        c.auth = null;
        const tx = { local: this.nextLocalTx++, connectorId: c.id, idTag: auth.idTag, parentIdTag: auth.parentIdTag,
            transactionId: null, meterStart: c.meter.wh(), samples: [], suspended: false };
        c.tx = tx;
        c.meter.run(true);
        const body = { connectorId: c.id, idTag: auth.idTag, meterStart: tx.meterStart, timestamp: utcnow() };
        // StartTransaction, then StatusNotification(Charging): OCPP 1.6 orders neither; this is the usual order,
        // --param status_first=true sends the status first (what a station that closes the contactor first does)
        if (this.param('status_first', false) === 'true' || this.param('status_first', false) === true) this.changed();
        const started = this.send('StartTransaction', body, { tx: true });
        this.changed();
        started.then((res) => {
            if (!res) return;
            tx.transactionId = res.transactionId;
            this.remember(auth.idTag, res.idTagInfo);
            if (res.idTagInfo.parentIdTag) tx.parentIdTag = res.idTagInfo.parentIdTag;
            if (res.idTagInfo.status !== 'Accepted' && c.tx === tx) {
                if (this.flag('StopTransactionOnInvalidId')) this.stopTx(c, 'DeAuthorized');
                else { tx.suspended = true; c.meter.run(false); this.changed(); }
            }
        });
        this.startSampling(c);
    }

    startSampling(c) {
        this.cancel(c.sampleTimer);
        const s = this.num('MeterValueSampleInterval');
        if (!(s > 0) || !c.tx) return;
        c.sampleTimer = this.every(1000 * s, () => {
            const tx = c.tx;
            if (!tx) { this.cancel(c.sampleTimer); return; }
            const mv = this.meterValue(c, 'Sample.Periodic', this.get('MeterValuesSampledData'));
            if (this.get('StopTxnSampledData')) tx.samples.push(this.meterValue(c, 'Sample.Periodic', this.get('StopTxnSampledData')));
            this.send('MeterValues', () => (tx.transactionId === null ? { connectorId: c.id, meterValue: [mv] }
                : { connectorId: c.id, transactionId: tx.transactionId, meterValue: [mv] }), { tx: true });
        });
    }

    meterValue(c, context, measurands) {
        const out = [];
        for (const m of (measurands || 'Energy.Active.Import.Register').split(',').map((x) => x.trim()).filter(Boolean)) {
            const v = c.meter.read(m);
            out.push({ value: v.value, context, measurand: m, unit: v.unit, ...(v.phase ? { phase: v.phase } : {}) });
        }
        return { timestamp: utcnow(), sampledValue: out };
    }

    stopTx(c, reason, idTag) {
        const tx = c.tx;
        if (!tx) return;
        this.cancel(c.sampleTimer);
        c.meter.run(false);
        c.tx = null;
        c.finishing = c.plugged;
        this.sendStop(tx, reason, idTag, c);
        this.applyPendingAvailability();
        this.changed();
        if (this.pendingReset && !this.connectors.some((x) => x.tx)) this.doReset(this.pendingReset);
    }

    sendStop(tx, reason, idTag, c) {
        const meterStop = (c || this.conn(tx.connectorId)).meter.wh();
        const ts = utcnow();
        const data = [];
        if (this.get('StopTxnSampledData')) {
            data.push(...tx.samples);
            data.push(this.meterValue(this.conn(tx.connectorId), 'Transaction.End', this.get('StopTxnSampledData')));
        }
        this.send('StopTransaction', () => {
            if (tx.transactionId === null) return null;   // never started at the CSMS: nothing to stop
            const body = { transactionId: tx.transactionId, meterStop, timestamp: ts, reason };
            if (idTag) body.idTag = idTag;
            if (data.length) body.transactionData = data;
            return body;
        }, { tx: true }).then((res) => { if (res && res.idTagInfo && idTag) this.remember(idTag, res.idTagInfo); });
    }

    startAligned() {
        const s = this.num('ClockAlignedDataInterval');
        if (!(s > 0)) return;
        const epoch = this.epoch;
        const tick = () => {
            if (this.epoch !== epoch || this.num('ClockAlignedDataInterval') !== s) return;
            for (const c of this.connectors) {
                const mv = this.meterValue(c, 'Sample.Clock', this.get('MeterValuesAlignedData'));
                const tx = c.tx;
                this.send('MeterValues', () => (tx && tx.transactionId !== null
                    ? { connectorId: c.id, transactionId: tx.transactionId, meterValue: [mv] }
                    : { connectorId: c.id, meterValue: [mv] }), { tx: !!tx });
            }
            this.after(1000 * s - (Date.now() % (1000 * s)), tick);
        };
        this.after(1000 * s - (Date.now() % (1000 * s)), tick);
    }

    // ---- availability and reset ------------------------------------------------------------------------

    applyPendingAvailability() {
        for (const c of this.connectors) {
            if (c.pendingInoperative && !c.tx) { c.pendingInoperative = false; c.operative = false; }
        }
    }

    doReset(type) {
        this.pendingReset = null;
        this.drained(5000).then(() => this.reboot('RemoteReset'));
    }

    // ---- CSMS requests ---------------------------------------------------------------------------------

    handlers() {
        return {
            GetConfiguration: (p) => {
                const names = p.key && p.key.length ? p.key : Object.keys(this.config);
                if (p.key && p.key.length > this.num('GetConfigurationMaxKeys')) {
                    const { createRPCError } = require('ocpp-rpc');
                    throw createRPCError('OccurenceConstraintViolation', 'more keys than GetConfigurationMaxKeys', {});
                }
                const known = names.filter((k) => this.config[k]).map((k) => ({ key: k, readonly: this.config[k][1], value: this.config[k][0] }));
                const unknown = names.filter((k) => !this.config[k]);
                // both lists always, empty or not: OCPP-J 1.6 has no rule against an empty optional array
                // (the reference station leaves an empty one out; 2.0.1 Part 4 §4.1.5 forbids it only for 2.0.1)
                return { configurationKey: known, unknownKey: unknown };
            },
            ChangeConfiguration: ({ key, value }) => {
                const entry = this.config[key];
                if (!entry) return { status: 'NotSupported' };
                if (entry[1] || !entry[2](value)) return { status: 'Rejected' };
                entry[0] = value.trim();
                if (key === 'MeterValueSampleInterval') for (const c of this.connectors) this.startSampling(c);
                if (key === 'ClockAlignedDataInterval') this.startAligned();
                if (key === 'AuthorizationCacheEnabled' && !this.flag(key)) this.cache.clear();
                return { status: 'Accepted' };
            },
            ClearCache: () => {
                if (!this.flag('AuthorizationCacheEnabled')) return { status: 'Rejected' };
                this.cache.clear();
                return { status: 'Accepted' };
            },
            DataTransfer: () => ({ status: 'UnknownVendorId' }),
            // no Local Authorization List: -1 says so (OCPP 1.6 §5.10)
            GetLocalListVersion: () => ({ listVersion: -1 }),
            RemoteStartTransaction: ({ connectorId, idTag }) => {
                if (this.registration !== 'Accepted') return { status: 'Rejected' };
                let c;
                if (connectorId !== undefined) {
                    c = this.conn(connectorId);
                    if (!c || c.tx || c.auth || !c.operative || !this.stationAvailable) return { status: 'Rejected' };
                } else {
                    const free = this.connectors.filter((x) => !x.tx && !x.auth && x.operative);
                    c = free.find((x) => x.plugged) || free[0];
                    if (!c || !this.stationAvailable) return { status: 'Rejected' };
                }
                const go = async () => {
                    let auth = { idTag };
                    if (this.flag('AuthorizeRemoteTxRequests')) {
                        const info = await this.authorize(idTag);
                        if (info.status !== 'Accepted') return;
                        auth = { idTag, parentIdTag: info.parentIdTag };
                    }
                    if (!c.tx) this.authorized(c, auth);
                };
                this.later(() => go());
                return { status: 'Accepted' };
            },
            RemoteStopTransaction: ({ transactionId }) => {
                const c = this.connectors.find((x) => x.tx && x.tx.transactionId === transactionId);
                if (!c || this.registration !== 'Accepted') return { status: 'Rejected' };
                this.later(() => this.stopTx(c, 'Remote'));
                return { status: 'Accepted' };
            },
            Reset: ({ type }) => {
                this.later(() => {
                    const reason = type === 'Hard' ? 'HardReset' : 'SoftReset';
                    for (const c of this.connectors) if (c.tx) this.stopTx(c, reason);
                    this.doReset(type);
                });
                return { status: 'Accepted' };
            },
            ChangeAvailability: ({ connectorId, type }) => {
                if (connectorId < 0 || connectorId > this.n) return { status: 'Rejected' };
                const operative = type === 'Operative';
                const targets = connectorId === 0 ? this.connectors : [this.conn(connectorId)];
                let scheduled = false;
                if (connectorId === 0) this.stationAvailable = operative;
                for (const c of targets) {
                    if (!operative && c.tx) { c.pendingInoperative = true; scheduled = true; continue; }
                    c.pendingInoperative = false;
                    c.operative = operative;
                    if (!operative) { c.auth = null; this.cancel(c.authTimer); }
                }
                this.reportLater();
                return { status: scheduled ? 'Scheduled' : 'Accepted' };
            },
            UnlockConnector: ({ connectorId }) => {
                const c = this.conn(connectorId);
                if (!c) return { status: 'NotSupported' };
                if (c.tx) this.stopTx(c, 'UnlockCommand');
                return { status: 'Unlocked' };
            },
            TriggerMessage: ({ requestedMessage, connectorId }) => {
                if (connectorId !== undefined && (connectorId < 0 || connectorId > this.n)) return { status: 'Rejected' };
                const targets = connectorId ? [this.conn(connectorId)] : this.connectors;
                const triggered = { triggered: true };
                switch (requestedMessage) {
                case 'BootNotification':
                    this.later(() => {
                        if (this.registration === 'Accepted') {
                            this.send('BootNotification', this.bootPayload(), triggered).then((res) => {
                                if (res && res.interval > 0) this.setHeartbeatInterval(res.interval);
                            });
                        } else if (this.bootWake) this.bootWake('trigger');
                    });
                    return { status: 'Accepted' };
                case 'Heartbeat':
                    this.later(() => this.send('Heartbeat', {}, triggered));
                    return { status: 'Accepted' };
                case 'StatusNotification':
                    this.later(() => {
                        if (connectorId === undefined || connectorId === 0) {
                            this.send('StatusNotification', { connectorId: 0, errorCode: 'NoError',
                                status: this.stationAvailable ? 'Available' : 'Unavailable', timestamp: utcnow() }, triggered);
                        }
                        if (connectorId !== 0) {
                            for (const c of targets) {
                                this.send('StatusNotification', { connectorId: c.id, errorCode: 'NoError', status: this.status(c),
                                    timestamp: utcnow() }, triggered);
                            }
                        }
                    });
                    return { status: 'Accepted' };
                case 'MeterValues':
                    this.later(() => {
                        for (const c of (connectorId === 0 ? this.connectors : targets)) {
                            const body = { connectorId: c.id, meterValue: [this.meterValue(c, 'Trigger', this.get('MeterValuesSampledData'))] };
                            if (c.tx && c.tx.transactionId !== null) body.transactionId = c.tx.transactionId;
                            this.send('MeterValues', body, triggered);
                        }
                    });
                    return { status: 'Accepted' };
                default:    // DiagnosticsStatusNotification, FirmwareStatusNotification: profiles this station lacks
                    return { status: 'NotImplemented' };
                }
            },
        };
    }

    snapshot() {
        return { version: '1.6', powered: this.powered, online: this.online, registration: this.registration,
            connectors: this.connectors.map((c) => ({ id: c.id, status: this.status(c), plugged: c.plugged,
                transactionId: c.tx ? c.tx.transactionId : null })) };
    }
}

module.exports = { Station16 };
