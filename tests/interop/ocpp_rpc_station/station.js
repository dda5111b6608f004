#!/usr/bin/env node
'use strict';
// SPDX-License-Identifier: Apache-2.0
// A minimal OCPP 1.6J / 2.0.1 charging station on the ocpp-rpc stack, run as its own process with an HTTP
// test hook, the way a vendor's station is driven by vgitest's `command` adapter.
//
//   node station.js --version 1.6|2.0.1 --csms-url ws://127.0.0.1:9000/ocpp --identity ID --password PW \
//        --hook-port 8781 [--connectors 1] [--param key=value ...] [--off] [--log FILE]
//
// Test hook: POST /action/<name>?connector=1&id_token=TAG&type=ISO14443 with name one of power_on, power_off,
// reboot, plug_in, unplug, present_token; GET /health (JSON state). 200 = done, 400 = unknown action or bad
// parameter (the body says why).

const fs = require('fs');
const http = require('http');
const { Station16 } = require('./lib/v16');
const { Station201 } = require('./lib/v201');

function parseArgs(argv) {
    const o = { version: '1.6', connectors: 1, hookHost: '127.0.0.1', hookPort: 8781, params: {}, off: false };
    for (let i = 0; i < argv.length; i += 1) {
        const a = argv[i];
        const next = () => { i += 1; if (i >= argv.length) throw new Error(`${a} needs a value`); return argv[i]; };
        switch (a) {
        case '--version': o.version = next(); break;
        case '--csms-url': o.csmsUrl = next(); break;
        case '--identity': o.identity = next(); break;
        case '--password': o.password = next(); break;
        case '--connectors': o.connectors = Number(next()); break;
        case '--hook-host': o.hookHost = next(); break;
        case '--hook-port': o.hookPort = Number(next()); break;
        case '--off': o.off = true; break;
        case '--log': o.logFile = next(); break;
        case '--param': {
            const [k, ...v] = next().split('=');
            const s = v.join('=');
            o.params[k] = s !== '' && !Number.isNaN(Number(s)) ? Number(s) : s;
            break;
        }
        default: throw new Error(`unknown argument ${a}`);
        }
    }
    if (!o.csmsUrl || !o.identity) throw new Error('--csms-url and --identity are required');
    if (!['1.6', '2.0.1'].includes(o.version)) throw new Error('--version is 1.6 or 2.0.1');
    return o;
}

function main() {
    const o = parseArgs(process.argv.slice(2));
    const out = o.logFile ? fs.createWriteStream(o.logFile, { flags: 'a' }) : process.stdout;
    const log = (line) => out.write(`${new Date().toISOString()} ${line}\n`);
    const Cls = o.version === '1.6' ? Station16 : Station201;
    const station = new Cls({ csmsUrl: o.csmsUrl, identity: o.identity, password: o.password,
        connectors: o.connectors, params: o.params, log });

    const actions = {
        power_on: () => station.powerOn('PowerUp'),
        power_off: () => station.powerOff(),
        reboot: () => station.reboot('PowerUp'),
        plug_in: (q) => station.plugIn(connector(q)),
        unplug: (q) => station.unplug(connector(q)),
        present_token: (q) => {
            const tag = q.get('id_token');
            if (!tag) throw new Error('present_token needs id_token');
            return station.presentToken(connector(q), tag, q.get('type') || undefined);
        },
    };
    const connector = (q) => {
        const c = Number(q.get('connector') || 1);
        if (!Number.isInteger(c) || c < 1 || c > o.connectors) throw new Error(`no connector ${q.get('connector')}`);
        return c;
    };

    const server = http.createServer((req, res) => {
        const url = new URL(req.url, 'http://hook');
        const answer = (code, body) => {
            res.writeHead(code, { 'content-type': 'application/json' });
            res.end(`${JSON.stringify(body)}\n`);
        };
        if (req.method === 'GET' && url.pathname === '/health') return answer(200, station.snapshot());
        const m = /^\/action\/([a-z_]+)$/.exec(url.pathname);
        if (req.method !== 'POST' || !m) return answer(404, { error: 'POST /action/<name> or GET /health' });
        const fn = actions[m[1]];
        if (!fn) return answer(400, { error: `unknown action ${m[1]}`, actions: Object.keys(actions) });
        log(`hook: ${m[1]} ${url.searchParams}`);
        try {
            fn(url.searchParams);   // the physical action is taken; what follows is the station's business
        } catch (e) {
            return answer(400, { error: e.message });
        }
        return answer(200, { done: m[1] });
    });
    server.listen(o.hookPort, o.hookHost, () => log(`test hook on http://${o.hookHost}:${o.hookPort}`));
    if (!o.off) station.powerOn('PowerUp');

    const stop = () => { station.powerOff(); server.close(); setTimeout(() => process.exit(0), 100); };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    process.on('unhandledRejection', (e) => log(`unhandled: ${e && e.stack ? e.stack : e}`));
}

main();
