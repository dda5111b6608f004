'use strict';
// SPDX-License-Identifier: Apache-2.0
// The OCPP 2.0.1 Core behaviour of the station (one connector per EVSE), written from OCPP 2.0.1 Part 2.
// Choices the standard leaves open are listed in ../README.md.

const crypto = require('crypto');
const { createRPCError } = require('ocpp-rpc');
const { Core, utcnow } = require('./core');
const { Meter } = require('./meter');
const { buildModel } = require('./device_model');

class Station201 extends Core {
    constructor(o) {
        super({ ...o, version: '2.0.1' });
        this.model = buildModel(this);
        this.stationOperative = true;
        this.evses = [];
        for (let id = 1; id <= this.n; id += 1) {
            this.evses.push({ id, plugged: false, operative: true, pendingInoperative: false, auth: null,
                authTimer: null, tx: null, meter: new Meter(2000 * id), reported: null, sampleTimer: null });
        }
        this.cache = new Map();      // idToken -> idTokenInfo
        this.interrupted = [];
        this.pendingReset = false;
    }

    v(component, name, instance) { return this.model.get(component, name, instance); }
    flag(component, name) { return this.v(component, name) === 'true'; }
    num(component, name, instance) { return Number(this.v(component, name, instance)) || 0; }
    heartbeatInterval() { return this.num('OCPPCommCtrlr', 'HeartbeatInterval'); }
    setHeartbeatInterval(s) { this.model.set('OCPPCommCtrlr', 'HeartbeatInterval', String(s)); }
    txAttempts() { return Math.max(1, this.num('OCPPCommCtrlr', 'MessageAttempts', 'TransactionEvent')); }
    txRetryInterval() { return this.num('OCPPCommCtrlr', 'MessageAttemptInterval', 'TransactionEvent'); }
    points(name) { return this.v('TxCtrlr', name).split(','); }
    evse(id) { return this.evses.find((e) => e.id === id); }

    bootPayload(reason) {
        return { reason, chargingStation: { model: this.v('ChargingStation', 'Model'),
            vendorName: this.v('ChargingStation', 'VendorName'), serialNumber: this.identity.slice(0, 25),
            firmwareVersion: '1.0.0' } };
    }

    // ---- power and link --------------------------------------------------------------------------------

    onPowerOn() {
        for (const e of this.evses) { e.reported = null; e.auth = null; }
    }

    onPowerOff() {
        for (const e of this.evses) {
            if (e.tx) { e.tx.cut = e.tx.cut || { trigger: 'AbnormalCondition', reason: 'PowerLoss' }; this.interrupted.push(e.tx); e.tx = null; }
            e.meter.run(false);
            e.auth = null;
        }
    }

    onAccepted() {
        for (const tx of this.interrupted.splice(0)) this.sendEnded(tx, tx.cut.trigger, tx.cut.reason);
        this.applyPendingAvailability();
        this.reportStatus(true);
        // a critical security event (A04): the device started, or was reset on request
        const type = this.bootReason === 'RemoteReset' ? 'ResetOrReboot' : 'StartupOfTheDevice';
        this.send('SecurityEventNotification', { type, timestamp: utcnow() });
        this.startAligned();
    }

    onReconnected() { this.reportStatus(false); }

    // ---- connector state -------------------------------------------------------------------------------

    connectorStatus(e) {
        if (e.tx && (e.plugged || e.tx.chargingState !== 'Idle')) return 'Occupied';
        if (!e.operative || !this.stationOperative) return 'Unavailable';   // also with an EV still plugged in
        return e.plugged ? 'Occupied' : 'Available';
    }

    availability(id) {
        if (id === null) return this.stationOperative ? 'Available' : 'Unavailable';
        return this.connectorStatus(this.evse(id));
    }

    reportStatus(all) {
        for (const e of this.evses) {
            const s = this.connectorStatus(e);
            if (all || s !== e.reported) {
                if (this.online && this.registration === 'Accepted') e.reported = s;
                this.send('StatusNotification', { timestamp: utcnow(), connectorStatus: s, evseId: e.id, connectorId: 1 });
            }
        }
    }

    changed() { this.reportStatus(false); }

    /** The states now, reported a moment later (after the answer to the CSMS request that changed them). */
    reportLater() {
        const snap = this.evses.map((e) => [e, this.connectorStatus(e)]);
        this.later(() => {
            for (const [e, s] of snap) {
                if (s === e.reported) continue;
                if (this.online && this.registration === 'Accepted') e.reported = s;
                this.send('StatusNotification', { timestamp: utcnow(), connectorStatus: s, evseId: e.id, connectorId: 1 });
            }
        });
    }

    // ---- authorization ---------------------------------------------------------------------------------

    async authorize(idToken) {
        const cacheOn = this.flag('AuthCacheCtrlr', 'Enabled');
        if (cacheOn && this.flag('AuthCtrlr', 'LocalPreAuthorize')) {
            const hit = this.cached(idToken);
            if (hit && hit.status === 'Accepted') return hit;
        }
        if (this.online && this.registration === 'Accepted') {
            const res = await this.send('Authorize', { idToken });
            if (res) { this.remember(idToken, res.idTokenInfo); return res.idTokenInfo; }
        }
        if (this.flag('AuthCtrlr', 'LocalAuthorizeOffline')) {
            const hit = this.cached(idToken);
            if (hit) return hit;
        }
        return { status: 'Unknown' };
    }

    cached(idToken) {
        const info = this.cache.get(`${idToken.type}:${idToken.idToken}`);
        if (!info) return null;
        if (info.cacheExpiryDateTime && Date.parse(info.cacheExpiryDateTime) < Date.now()) return null;
        return info;
    }

    remember(idToken, info) {
        if (this.flag('AuthCacheCtrlr', 'Enabled') && info) this.cache.set(`${idToken.type}:${idToken.idToken}`, info);
    }

    // ---- DUT actions (test hook) ---------------------------------------------------------------------

    plugIn(id) {
        const e = this.evse(id);
        if (!e) throw new Error(`no EVSE ${id}`);
        if (e.plugged) return;
        e.plugged = true;
        this.changed();
        if (e.tx) {             // a transaction that waited for the EV (start point Authorized, or EV came back)
            // the first event after plug-in names the EVSE and connector again (Part 6 §2.1 tool rules)
            this.event(e.tx, 'Updated', 'CablePluggedIn', { chargingState: e.tx.authorized ? 'Charging' : 'EVConnected',
                evse: { id: e.id, connectorId: 1 } });
            if (e.tx.authorized) e.meter.run(true);
            return;
        }
        if (!e.operative || !this.stationOperative) return;
        if (this.points('TxStartPoint').includes('EVConnected')) {
            this.startTx(e, 'CablePluggedIn', e.auth);
        } else if (e.auth && this.pathPoint('TxStartPoint')) {
            this.startTx(e, 'CablePluggedIn', e.auth);
        }
    }

    /** PowerPathClosed or EnergyTransfer: a transaction needs both the EV and the authorization. */
    pathPoint(name) {
        return this.points(name).some((p) => p === 'PowerPathClosed' || p === 'EnergyTransfer');
    }

    unplug(id) {
        const e = this.evse(id);
        if (!e) throw new Error(`no EVSE ${id}`);
        if (!e.plugged) return;
        e.plugged = false;
        const tx = e.tx;
        if (tx) {
            const stops = this.points('TxStopPoint').some((p) => ['EVConnected', 'PowerPathClosed', 'EnergyTransfer'].includes(p));
            if (stops && this.flag('TxCtrlr', 'StopTxOnEVSideDisconnect')) {
                this.endTx(e, 'EVCommunicationLost', 'EVDisconnected', { chargingState: 'Idle' });
            } else {
                e.meter.run(false);
                tx.chargingState = 'Idle';
                this.event(tx, 'Updated', 'EVCommunicationLost', { chargingState: 'Idle' });
            }
        }
        this.changed();
    }

    async presentToken(id, token, type) {
        const e = this.evse(id) || this.evses[0];
        const idToken = { idToken: token, type: type || String(this.param('id_token_type', 'ISO14443')) };
        const tx = e.tx;
        if (tx && tx.authorized) {
            if (tx.authorized.idToken === idToken.idToken && tx.authorized.type === idToken.type) {
                this.endTx(e, 'StopAuthorized', 'Local', { idToken });
                return;
            }
            const info = await this.authorize(idToken);
            const group = (i) => (i && i.groupIdToken ? i.groupIdToken.idToken : undefined);
            if (info.status === 'Accepted' && group(info) && group(info) === tx.group) {
                this.endTx(e, 'StopAuthorized', 'Local', { idToken });
            }
            return;
        }
        if (!e.operative || !this.stationOperative) return;
        const info = await this.authorize(idToken);
        if (info.status !== 'Accepted') return;
        this.authorized(e, { idToken, group: info.groupIdToken ? info.groupIdToken.idToken : undefined }, 'Authorized');
    }

    /** A valid authorization for EVSE e (local token or remote start). */
    authorized(e, auth, trigger) {
        const tx = e.tx;
        if (tx && !tx.authorized) {     // the EV started the transaction; now it is authorized
            tx.authorized = auth.idToken;
            tx.group = auth.group;
            const extra = { idToken: auth.idToken, chargingState: e.plugged ? 'Charging' : tx.chargingState };
            if (auth.remoteStartId !== undefined) { extra.remoteStartId = auth.remoteStartId; trigger = 'RemoteStart'; }
            if (e.plugged) e.meter.run(true);
            this.event(tx, 'Updated', trigger, extra);
            return;
        }
        if (tx) return;
        if (this.points('TxStartPoint').includes('Authorized') || (e.plugged && this.pathPoint('TxStartPoint'))) {
            this.startTx(e, trigger, auth);
            return;
        }
        // wait EVConnectionTimeOut for the EV; the authorization then lapses (no transaction existed)
        e.auth = auth;
        this.cancel(e.authTimer);
        e.authTimer = this.after(1000 * this.num('TxCtrlr', 'EVConnectionTimeOut'), () => {
            if (e.auth === auth) e.auth = null;
        });
    }

    // ---- transactions ----------------------------------------------------------------------------------

    startTx(e, trigger, auth) {
        this.cancel(e.authTimer);
        e.auth = null;
        const tx = { id: crypto.randomUUID(), evseId: e.id, seq: 0, chargingState: 'Idle', authorized: auth ? auth.idToken : null,
            group: auth ? auth.group : undefined, open: true };
        e.tx = tx;
        const charging = e.plugged && tx.authorized;
        tx.chargingState = charging ? 'Charging' : (e.plugged ? 'EVConnected' : 'Idle');
        if (charging) e.meter.run(true);
        const extra = { chargingState: tx.chargingState, evse: { id: e.id, connectorId: 1 },
            meterValue: [this.sample(e, 'Transaction.Begin', this.v('SampledDataCtrlr', 'TxStartedMeasurands'))] };
        if (auth) extra.idToken = auth.idToken;
        if (auth && auth.remoteStartId !== undefined) { extra.remoteStartId = auth.remoteStartId; trigger = 'RemoteStart'; }
        this.event(tx, 'Started', trigger, extra);
        this.changed();
        this.startSampling(e);
        if (!e.plugged) {
            // authorized but no EV yet: the transaction ends after EVConnectionTimeOut (E03)
            tx.evTimer = this.after(1000 * this.num('TxCtrlr', 'EVConnectionTimeOut'), () => {
                if (e.tx === tx && !e.plugged && tx.chargingState === 'Idle') this.endTx(e, 'EVConnectTimeout', 'Timeout', {});
            });
        }
        return tx;
    }

    /** Send one TransactionEvent of `tx`; `extra` carries chargingState, idToken, evse, meterValue, … */
    event(tx, eventType, triggerReason, extra = {}) {
        const { chargingState, stoppedReason, remoteStartId, idToken, evse, meterValue } = extra;
        if (chargingState) tx.chargingState = chargingState;
        const body = { eventType, timestamp: utcnow(), triggerReason, seqNo: tx.seq++,
            transactionInfo: { transactionId: tx.id } };
        if (chargingState) body.transactionInfo.chargingState = chargingState;
        if (stoppedReason) body.transactionInfo.stoppedReason = stoppedReason;
        if (remoteStartId !== undefined) body.transactionInfo.remoteStartId = remoteStartId;
        if (idToken) body.idToken = idToken;
        if (evse) body.evse = evse;
        if (meterValue) body.meterValue = meterValue;
        if (!this.online || this.registration !== 'Accepted') body.offline = true;
        return this.send('TransactionEvent', body, { tx: true }).then((res) => {
            const info = res && res.idTokenInfo;
            if (!info || !idToken) return;
            this.remember(idToken, info);
            const e = this.evse(tx.evseId);
            if (info.status !== 'Accepted' && e.tx === tx && eventType !== 'Ended') {
                if (this.flag('TxCtrlr', 'StopTxOnInvalidId')) this.endTx(e, 'Deauthorized', 'DeAuthorized', {});
                else { e.meter.run(false); this.event(tx, 'Updated', 'Deauthorized', { chargingState: 'SuspendedEVSE' }); }
            }
        });
    }

    endTx(e, trigger, reason, extra) {
        const tx = e.tx;
        if (!tx) return;
        this.cancel(e.sampleTimer);
        this.cancel(tx.evTimer);
        e.tx = null;
        e.meter.run(false);
        this.sendEnded(tx, trigger, reason, extra, e);
        this.applyPendingAvailability();
        this.changed();
        if (this.pendingReset && !this.evses.some((x) => x.tx)) this.doReset();
    }

    sendEnded(tx, trigger, reason, extra = {}, e = this.evse(tx.evseId)) {
        tx.open = false;
        const state = e.plugged ? 'EVConnected' : 'Idle';
        this.event(tx, 'Ended', trigger, { chargingState: extra.chargingState || state, stoppedReason: reason,
            idToken: extra.idToken, meterValue: [this.sample(e, 'Transaction.End', this.v('SampledDataCtrlr', 'TxEndedMeasurands'))] });
    }

    startSampling(e) {
        this.cancel(e.sampleTimer);
        const s = this.num('SampledDataCtrlr', 'TxUpdatedInterval');
        if (!(s > 0) || !e.tx || !this.flag('SampledDataCtrlr', 'Enabled')) return;
        e.sampleTimer = this.every(1000 * s, () => {
            if (!e.tx) { this.cancel(e.sampleTimer); return; }
            const mv = this.sample(e, 'Sample.Periodic', this.v('SampledDataCtrlr', 'TxUpdatedMeasurands'));
            this.event(e.tx, 'Updated', 'MeterValuePeriodic', { meterValue: [mv] });
        });
    }

    sample(e, context, measurands) {
        const out = [];
        for (const m of (measurands || 'Energy.Active.Import.Register').split(',').filter(Boolean)) {
            const r = e.meter.read(m);
            out.push({ value: Number(r.value), context, measurand: m, unitOfMeasure: { unit: r.unit } });
        }
        return { timestamp: utcnow(), sampledValue: out };
    }

    startAligned() {
        const s = this.num('AlignedDataCtrlr', 'Interval');
        if (!(s > 0)) return;
        const epoch = this.epoch;
        const tick = () => {
            if (this.epoch !== epoch || this.num('AlignedDataCtrlr', 'Interval') !== s) return;
            if (this.flag('AlignedDataCtrlr', 'Enabled')) {
                for (const e of this.evses) {
                    const mv = this.sample(e, 'Sample.Clock', this.v('AlignedDataCtrlr', 'Measurands'));
                    if (e.tx) this.event(e.tx, 'Updated', 'MeterValueClock', { meterValue: [mv] });
                    else this.send('MeterValues', { evseId: e.id, meterValue: [mv] });
                }
            }
            this.after(1000 * s - (Date.now() % (1000 * s)), tick);
        };
        this.after(1000 * s - (Date.now() % (1000 * s)), tick);
    }

    // ---- availability and reset ------------------------------------------------------------------------

    applyPendingAvailability() {
        for (const e of this.evses) {
            if (e.pendingInoperative && !e.tx) { e.pendingInoperative = false; e.operative = false; }
        }
        if (this.stationPendingInoperative && !this.evses.some((e) => e.tx)) {
            this.stationPendingInoperative = false;
            this.stationOperative = false;
        }
    }

    doReset() {
        this.pendingReset = false;
        this.drained(5000).then(() => this.reboot('RemoteReset'));
    }

    // ---- CSMS requests ---------------------------------------------------------------------------------

    handlers() {
        return {
            GetVariables: ({ getVariableData }) => {
                if (getVariableData.length > this.num('DeviceDataCtrlr', 'ItemsPerMessage', 'GetVariables')) {
                    throw createRPCError('OccurrenceConstraintViolation', 'more items than ItemsPerMessageGetVariables', {});
                }
                return { getVariableResult: getVariableData.map((d) => {
                    const out = { component: d.component, variable: d.variable };
                    if (d.attributeType) out.attributeType = d.attributeType;
                    const [status, v] = this.model.lookup(d.component, d.variable);
                    if (!v) return { ...out, attributeStatus: status };
                    if (d.attributeType && d.attributeType !== 'Actual') return { ...out, attributeStatus: 'NotSupportedAttributeType' };
                    if (v.mutability === 'WriteOnly') return { ...out, attributeStatus: 'Rejected' };
                    return { ...out, attributeStatus: 'Accepted', attributeValue: String(v.current()) };
                }) };
            },
            SetVariables: ({ setVariableData }) => {
                if (setVariableData.length > this.num('DeviceDataCtrlr', 'ItemsPerMessage', 'SetVariables')) {
                    throw createRPCError('OccurrenceConstraintViolation', 'more items than ItemsPerMessageSetVariables', {});
                }
                const after = [];
                const results = setVariableData.map((d) => {
                    const out = { component: d.component, variable: d.variable };
                    if (d.attributeType) out.attributeType = d.attributeType;
                    const [status, v] = this.model.lookup(d.component, d.variable);
                    if (!v) return { ...out, attributeStatus: status };
                    if (d.attributeType && d.attributeType !== 'Actual') return { ...out, attributeStatus: 'NotSupportedAttributeType' };
                    if (v.mutability === 'ReadOnly' || !v.accepts(d.attributeValue)) return { ...out, attributeStatus: 'Rejected' };
                    if (v.component === 'SecurityCtrlr' && v.name === 'BasicAuthPassword') {
                        if (d.attributeValue.length < 16) return { ...out, attributeStatus: 'Rejected' };
                        this.password = d.attributeValue;   // used from the next connection on
                    }
                    v.value = d.attributeValue;
                    after.push(v);
                    return { ...out, attributeStatus: 'Accepted' };
                });
                this.later(() => {
                    for (const v of after) {
                        if (v.component === 'SampledDataCtrlr') for (const e of this.evses) this.startSampling(e);
                        if (v.component === 'AlignedDataCtrlr' && v.name === 'Interval') this.startAligned();
                        if (v.component === 'AuthCacheCtrlr' && v.name === 'Enabled' && v.value === 'false') this.cache.clear();
                    }
                });
                return { setVariableResult: results };
            },
            GetBaseReport: ({ requestId, reportBase }) => {
                let vars = this.model.variables;
                if (reportBase === 'ConfigurationInventory') vars = vars.filter((v) => v.mutability !== 'ReadOnly');
                if (reportBase === 'SummaryInventory') vars = vars.filter((v) => v.name === 'AvailabilityState');
                if (!vars.length) return { status: 'EmptyResultSet' };
                const per = this.num('DeviceDataCtrlr', 'ItemsPerMessage', 'GetReport');
                this.later(() => this.report(requestId, vars, per));
                return { status: 'Accepted' };
            },
            ClearCache: () => {
                if (!this.flag('AuthCacheCtrlr', 'Enabled')) return { status: 'Rejected' };
                this.cache.clear();
                return { status: 'Accepted' };
            },
            DataTransfer: () => ({ status: 'UnknownVendorId' }),
            RequestStartTransaction: ({ idToken, remoteStartId, evseId, groupIdToken }) => {
                if (this.registration !== 'Accepted') return { status: 'Rejected' };
                let e;
                if (evseId !== undefined) e = this.evse(evseId);
                else e = this.evses.find((x) => x.operative && !(x.tx && x.tx.authorized));
                if (!e || !e.operative || !this.stationOperative || (e.tx && e.tx.authorized)) return { status: 'Rejected' };
                const res = { status: 'Accepted' };
                if (e.tx) res.transactionId = e.tx.id;
                const go = async () => {
                    if (this.flag('AuthCtrlr', 'AuthorizeRemoteStart')) {
                        const info = await this.authorize(idToken);
                        if (info.status !== 'Accepted') return;
                        groupIdToken = info.groupIdToken || groupIdToken;
                    }
                    this.authorized(e, { idToken, group: groupIdToken ? groupIdToken.idToken : undefined, remoteStartId }, 'RemoteStart');
                };
                this.later(() => go());
                return res;
            },
            RequestStopTransaction: ({ transactionId }) => {
                const e = this.evses.find((x) => x.tx && x.tx.id === transactionId);
                if (!e) return { status: 'Rejected' };
                this.later(() => this.endTx(e, 'RemoteStop', 'Remote', {}));
                return { status: 'Accepted' };
            },
            GetTransactionStatus: ({ transactionId }) => {
                const queued = this.outbox.some((m) => m.action === 'TransactionEvent' &&
                    (transactionId === undefined || (typeof m.payload === 'object' && m.payload.transactionInfo.transactionId === transactionId)));
                const out = { messagesInQueue: queued };
                if (transactionId !== undefined) out.ongoingIndicator = this.evses.some((e) => e.tx && e.tx.id === transactionId);
                return out;
            },
            Reset: ({ type, evseId }) => {
                if (evseId !== undefined) return { status: 'Rejected' };   // no reset of a single EVSE
                const busy = this.evses.some((e) => e.tx);
                if (type === 'OnIdle' && busy) { this.pendingReset = true; return { status: 'Scheduled' }; }
                this.later(() => {
                    for (const e of this.evses) if (e.tx) this.endTx(e, 'ResetCommand', 'ImmediateReset', {});
                    this.doReset();
                });
                return { status: 'Accepted' };
            },
            ChangeAvailability: ({ operationalStatus, evse }) => {
                const operative = operationalStatus === 'Operative';
                if (evse && (!this.evse(evse.id) || (evse.connectorId !== undefined && evse.connectorId !== 1))) {
                    return { status: 'Rejected' };
                }
                let scheduled = false;
                const targets = evse ? [this.evse(evse.id)] : this.evses;
                if (!evse) {
                    if (!operative && this.evses.some((e) => e.tx)) { this.stationPendingInoperative = true; scheduled = true; }
                    else { this.stationPendingInoperative = false; this.stationOperative = operative; }
                }
                for (const e of targets) {
                    if (!operative && e.tx) { if (evse) { e.pendingInoperative = true; scheduled = true; } continue; }
                    e.pendingInoperative = false;
                    if (evse || operative) e.operative = operative;
                }
                this.reportLater();
                return { status: scheduled ? 'Scheduled' : 'Accepted' };
            },
            UnlockConnector: ({ evseId, connectorId }) => {
                const e = this.evse(evseId);
                if (!e || connectorId !== 1) return { status: 'UnknownConnector' };
                if (e.tx && e.tx.authorized) return { status: 'OngoingAuthorizedTransaction' };
                return { status: 'Unlocked' };
            },
            TriggerMessage: ({ requestedMessage, evse }) => {
                if (evse && (!this.evse(evse.id) || (evse.connectorId !== undefined && evse.connectorId !== 1))) {
                    return { status: 'Rejected' };
                }
                const targets = evse ? [this.evse(evse.id)] : this.evses;
                const triggered = { triggered: true };
                switch (requestedMessage) {
                case 'BootNotification':
                    if (this.registration === 'Accepted') return { status: 'Rejected' };
                    this.later(() => { if (this.bootWake) this.bootWake('trigger'); });
                    return { status: 'Accepted' };
                case 'Heartbeat':
                    this.later(() => this.send('Heartbeat', {}, triggered));
                    return { status: 'Accepted' };
                case 'StatusNotification':
                    this.later(() => {
                        for (const e of targets) {
                            this.send('StatusNotification', { timestamp: utcnow(), connectorStatus: this.connectorStatus(e),
                                evseId: e.id, connectorId: 1 }, triggered);
                        }
                    });
                    return { status: 'Accepted' };
                case 'MeterValues':
                    this.later(() => {
                        for (const e of targets) {
                            this.send('MeterValues', { evseId: e.id, meterValue: [this.sample(e, 'Trigger',
                                this.v('AlignedDataCtrlr', 'Measurands'))] }, triggered);
                        }
                    });
                    return { status: 'Accepted' };
                case 'TransactionEvent': {
                    const busy = targets.filter((e) => e.tx);
                    if (!busy.length) return { status: 'Rejected' };
                    this.later(() => {
                        for (const e of busy) {
                            this.event(e.tx, 'Updated', 'Trigger', { chargingState: e.tx.chargingState,
                                meterValue: [this.sample(e, 'Trigger', this.v('SampledDataCtrlr', 'TxUpdatedMeasurands'))] });
                        }
                    });
                    return { status: 'Accepted' };
                }
                default:    // logs, firmware, certificates: not in this station
                    return { status: 'NotImplemented' };
                }
            },
        };
    }

    /** NotifyReport parts of at most `per` items, numbered from 0, the last with tbc false. */
    report(requestId, vars, per) {
        const parts = [];
        for (let i = 0; i < vars.length; i += per) parts.push(vars.slice(i, i + per));
        const generatedAt = utcnow();
        parts.forEach((part, seqNo) => {
            const body = { requestId, generatedAt, seqNo, reportData: part.map((v) => v.reportEntry()) };
            if (seqNo < parts.length - 1) body.tbc = true;
            this.send('NotifyReport', body, { triggered: true });
        });
    }

    snapshot() {
        return { version: '2.0.1', powered: this.powered, online: this.online, registration: this.registration,
            evses: this.evses.map((e) => ({ id: e.id, status: this.connectorStatus(e), plugged: e.plugged,
                transactionId: e.tx ? e.tx.id : null, chargingState: e.tx ? e.tx.chargingState : null })) };
    }
}

module.exports = { Station201 };
