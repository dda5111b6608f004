'use strict';
// SPDX-License-Identifier: Apache-2.0
// What both OCPP versions share: power, the WebSocket link (one ocpp-rpc RPCClient per connection), the
// registration (BootNotification with Pending/Rejected and their interval), the Heartbeat after an idle
// interval, and one ordered outbox for everything the station sends, so that at most one CALL is outstanding
// and transaction messages survive a lost connection.

const { RPCClient, NOREPLY } = require('ocpp-rpc');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const utcnow = () => new Date().toISOString();

class Core {
    /**
     * @param {object} o - {version, csmsUrl, identity, password, connectors, params, log}
     */
    constructor(o) {
        this.version = o.version;
        this.csmsUrl = o.csmsUrl.replace(/\/+$/, '');
        this.identity = o.identity;
        this.password = o.password;
        this.n = o.connectors;
        this.params = o.params;
        this.log = o.log || (() => {});
        this.powered = false;
        this.epoch = 0;            // one per power cycle: loops of an old cycle stop
        this.client = null;
        this.online = false;
        this.registration = 'None'; // None | Pending | Rejected | Accepted (this power cycle)
        this.outbox = [];
        this.pumping = false;
        this.lastSent = 0;
        this.bootWake = null;      // resolves the wait between two BootNotifications early (TriggerMessage)
        this.bootReason = 'PowerUp';
        this.timers = new Set();
    }

    param(key, dflt) {
        return this.params[key] !== undefined ? this.params[key] : dflt;
    }

    // ---- power -------------------------------------------------------------------------------------------

    powerOn(reason = 'PowerUp') {
        if (this.powered) return;
        this.powered = true;
        this.epoch += 1;
        this.registration = 'None';
        this.bootReason = reason;
        this.onPowerOn();
        const epoch = this.epoch;
        this.every(200, () => this.heartbeatTick());
        this.connectLoop(epoch).catch((e) => this.log(`connect loop ended: ${e.stack || e}`));
    }

    powerOff() {
        if (!this.powered) return;
        this.powered = false;
        this.epoch += 1;
        for (const t of this.timers) clearInterval(t);
        this.timers.clear();
        this.onPowerOff();
        this.dropVolatile(); // transaction messages are kept in non-volatile memory
        const cli = this.client;
        this.client = null;
        this.online = false;
        if (cli) cli.close({ force: true }).catch(() => {});
        if (this.bootWake) this.bootWake();
    }

    async reboot(reason, delayMs) {
        this.powerOff();
        await sleep(delayMs ?? 1000 * this.param('reboot_delay', 0.5));
        this.powerOn(reason);
    }

    /** A repeating timer that dies with the power cycle. */
    every(ms, fn) {
        const t = setInterval(() => {
            try { fn(); } catch (e) { this.log(`timer: ${e.stack || e}`); }
        }, ms);
        this.timers.add(t);
        return t;
    }

    cancel(t) {
        if (t) { clearInterval(t); clearTimeout(t); this.timers.delete(t); }
    }

    /** A one-shot timer that dies with the power cycle. */
    after(ms, fn) {
        const t = setTimeout(() => {
            this.timers.delete(t);
            try { fn(); } catch (e) { this.log(`timer: ${e.stack || e}`); }
        }, ms);
        this.timers.add(t);
        return t;
    }

    // ---- the link --------------------------------------------------------------------------------------

    makeClient() {
        const cli = new RPCClient({
            endpoint: this.csmsUrl,
            identity: this.identity,
            password: this.password || undefined,
            protocols: [this.version === '1.6' ? 'ocpp1.6' : 'ocpp2.0.1'],
            strictMode: true,
            reconnect: false,            // reconnection is the station's business (see connectLoop)
            callTimeoutMs: 1000 * this.param('call_timeout', 10),
            pingIntervalMs: 1000 * this.param('ws_ping_interval', 30),
        });
        cli.on('message', ({ message, outbound }) => {
            if (outbound) this.lastSent = Date.now();
            this.log(`${outbound ? '>>' : '<<'} ${message}`);
        });
        cli.on('strictValidationFailure', (e) => this.log(`strict validation: ${e.error && e.error.message}`));
        cli.on('badMessage', (e) => this.log(`bad message: ${e.error && e.error.message}`));
        for (const [action, fn] of Object.entries(this.handlers())) {
            cli.handle(action, async (call) => this.gate(action, () => fn(call.params || {}, call)));
        }
        return cli;
    }

    /** CSMS calls while Rejected: 1.6 answers nothing (OCPP 1.6 §4.2); 2.0.1 answers SecurityError (TC_B_30_CS). */
    async gate(action, fn) {
        if (this.registration === 'Rejected') {
            if (this.version === '1.6') return NOREPLY;
            const { createRPCError } = require('ocpp-rpc');
            throw createRPCError('SecurityError', 'the station is not accepted by the CSMS', {});
        }
        return fn();
    }

    async connectLoop(epoch) {
        const first = 1000 * this.param('reconnect_delay', 1);
        let delay = first;
        while (this.powered && this.epoch === epoch) {
            const cli = this.makeClient();
            try {
                await cli.connect();
            } catch (e) {
                this.log(`connect failed: ${e.code || ''} ${e.message}`);
                await sleep(delay);
                delay = Math.min(delay * 2, 4000);
                continue;
            }
            if (!(this.powered && this.epoch === epoch)) {
                cli.close({ force: true }).catch(() => {});
                return;
            }
            delay = first;
            const closed = new Promise((r) => cli.once('close', r));
            this.client = cli;
            this.online = true;
            this.log('connected');
            this.onConnected(epoch);
            const how = await closed;
            this.log(`disconnected ${how && how.code}`);
            if (this.client === cli) {
                this.client = null;
                this.online = false;
                this.dropVolatile();
                if (this.bootWake) this.bootWake();
            }
            await sleep(first);
        }
    }

    onConnected(epoch) {
        if (this.registration !== 'Accepted') {
            this.bootLoop(epoch).catch((e) => this.log(`boot loop: ${e.stack || e}`));
        } else {
            this.onReconnected();
            this.pump();
        }
    }

    // ---- registration ----------------------------------------------------------------------------------

    async bootLoop(epoch) {
        while (this.powered && this.epoch === epoch && this.online) {
            const cli = this.client;
            let res;
            try {
                res = await cli.call('BootNotification', this.bootPayload(this.bootReason));
            } catch (e) {
                this.log(`BootNotification failed: ${e.message}`);
                if (!this.online || this.client !== cli) return;
                await this.bootWait(1000 * this.param('boot_retry_s', 10), epoch);
                continue;
            }
            if (!(this.powered && this.epoch === epoch)) return;
            this.registration = res.status;
            if (res.status === 'Accepted') {
                if (res.interval > 0) this.setHeartbeatInterval(res.interval);
                this.lastSent = Date.now();
                this.onAccepted();
                this.pump();
                return;
            }
            // Pending or Rejected: the interval is the minimum wait; 0 lets the station choose
            const wait = res.interval > 0 ? res.interval : this.param('boot_retry_s', 10);
            const early = await this.bootWait(1000 * wait, epoch);
            if (early === 'trigger') this.bootReason = 'Triggered';
        }
    }

    bootWait(ms, epoch) {
        return new Promise((resolve) => {
            const t = setTimeout(() => { this.bootWake = null; resolve('interval'); }, ms);
            this.bootWake = (why = 'wake') => { clearTimeout(t); this.bootWake = null; resolve(why); };
        });
    }

    // ---- sending ---------------------------------------------------------------------------------------

    /**
     * Queue a CALL. `payload` may be a function (built when sent, e.g. with a transaction id learnt meanwhile).
     * Transaction messages (`tx`) wait for the connection; others are dropped when they cannot go now.
     * Returns a promise of the answer (null when dropped or failed).
     */
    send(action, payload, { tx = false, triggered = false } = {}) {
        const may = this.online && (this.registration === 'Accepted' || (triggered && this.registration === 'Pending'));
        if (!tx && !may) {
            this.log(`not sent (offline or not accepted): ${action}`);
            return Promise.resolve(null);
        }
        return new Promise((resolve) => {
            this.outbox.push({ action, payload, tx, triggered, attempts: 0, resolve });
            this.pump();
        });
    }

    canSend(m) {
        return this.online && this.client &&
            (this.registration === 'Accepted' || (m.triggered && this.registration === 'Pending'));
    }

    async pump() {
        if (this.pumping) return;
        this.pumping = true;
        try {
            while (this.outbox.length && this.canSend(this.outbox[0])) {
                const m = this.outbox[0];
                const cli = this.client;
                const payload = typeof m.payload === 'function' ? m.payload() : m.payload;
                if (payload === null) { this.outbox.shift(); m.resolve(null); continue; }
                m.sending = true;
                try {
                    const res = await cli.call(m.action, payload);
                    this.outbox.shift();
                    m.resolve(res);
                } catch (e) {
                    m.sending = false;
                    this.log(`${m.action} failed: ${e.rpcErrorCode || ''} ${e.message}`);
                    if (this.client !== cli || !this.online) break;   // lost the link: tx messages wait for it
                    m.attempts += 1;
                    if (!m.tx || m.attempts >= this.txAttempts()) {
                        this.outbox.shift();
                        m.resolve(null);
                    } else {
                        await sleep(1000 * this.txRetryInterval() * m.attempts);
                    }
                }
            }
        } finally {
            this.pumping = false;
        }
    }

    /** Forget every queued message that is not a transaction message (they describe a past state). */
    dropVolatile() {
        const keep = [];
        for (const m of this.outbox) {
            if (m.tx) keep.push(m); else m.resolve(null);
        }
        this.outbox = keep;
    }

    drained(timeoutMs) {
        const until = Date.now() + timeoutMs;
        return new Promise((resolve) => {
            const t = setInterval(() => {
                if (!this.outbox.length || Date.now() > until) { clearInterval(t); resolve(); }
            }, 50);
        });
    }

    /** A message the CSMS asked for with TriggerMessage: sent after our answer to the trigger. */
    later(fn) {
        setTimeout(fn, 30);
    }

    heartbeatTick() {
        const interval = this.heartbeatInterval();
        if (!(interval > 0) || !this.online || this.registration !== 'Accepted') return;
        if (this.outbox.some((m) => m.action === 'Heartbeat')) return;
        // HeartbeatInterval is an interval of inactivity: any frame we sent within it counts
        if (Date.now() - this.lastSent >= 1000 * interval) this.send('Heartbeat', {});
    }
}

module.exports = { Core, sleep, utcnow };
