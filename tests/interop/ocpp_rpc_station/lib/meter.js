'use strict';
// SPDX-License-Identifier: Apache-2.0
// A simulated energy meter per connector: the register grows at a fixed power while energy flows.

const POWER_W = 7400;   // single phase, 32 A at 230 V

class Meter {
    constructor(startWh = 0) {
        this.base = startWh;
        this.since = null;    // ms timestamp since energy flows, null when it does not
    }

    run(on) {
        if (on && this.since === null) this.since = Date.now();
        if (!on && this.since !== null) { this.base = this.wh(); this.since = null; }
    }

    wh() {
        const extra = this.since === null ? 0 : (POWER_W * (Date.now() - this.since)) / 3600e3;
        return Math.floor(this.base + extra);
    }

    /** The reading of one measurand as {value (string), unit}. */
    read(measurand) {
        const flowing = this.since !== null;
        switch (measurand) {
        case 'Energy.Active.Import.Register': return { value: String(this.wh()), unit: 'Wh' };
        case 'Power.Active.Import': return { value: String(flowing ? POWER_W : 0), unit: 'W' };
        case 'Current.Import': return { value: flowing ? '32.0' : '0.0', unit: 'A' };
        case 'Voltage': return { value: '230.0', unit: 'V' };
        default: return { value: '0', unit: 'Wh' };
        }
    }
}

module.exports = { Meter, POWER_W };
