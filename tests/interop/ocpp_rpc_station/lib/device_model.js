'use strict';
// SPDX-License-Identifier: Apache-2.0
// The OCPP 2.0.1 device model of the station: the Core components and variables (2.0.1 Part 2 appendices,
// Part 5 §5), their mutability and data types, and the checks behind GetVariables, SetVariables and reports.

const MEASURANDS = 'Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage';
const TX_POINTS = 'EVConnected,Authorized,PowerPathClosed,EnergyTransfer';

class Variable {
    constructor(component, name, value, mutability, dataType, extra = {}) {
        Object.assign(this, { component, name, value, mutability, dataType, instance: undefined, evse: undefined,
            connector: undefined, valuesList: undefined, min: undefined, max: undefined, unit: undefined }, extra);
    }

    current() { return typeof this.value === 'function' ? this.value() : this.value; }

    componentJson() {
        const c = { name: this.component };
        if (this.evse !== undefined) c.evse = this.connector !== undefined ? { id: this.evse, connectorId: this.connector } : { id: this.evse };
        return c;
    }

    variableJson() {
        return this.instance !== undefined ? { name: this.name, instance: this.instance } : { name: this.name };
    }

    /** Is `v` a value this variable can take? */
    accepts(v) {
        if (typeof v !== 'string') return false;
        switch (this.dataType) {
        case 'integer': {
            if (!/^-?\d+$/.test(v.trim())) return false;
            const n = Number(v);
            return (this.min === undefined || n >= this.min) && (this.max === undefined || n <= this.max);
        }
        case 'decimal': return v.trim() !== '' && !Number.isNaN(Number(v));
        case 'boolean': return v === 'true' || v === 'false';
        case 'OptionList': return this.valuesList.split(',').includes(v);
        case 'MemberList': {
            const parts = v.split(',');
            return parts.length > 0 && parts.every((p) => this.valuesList.split(',').includes(p)) && new Set(parts).size === parts.length;
        }
        case 'SequenceList': return v.split(',').every((p) => this.valuesList.split(',').includes(p));
        case 'string': return v.length <= (this.max || 1000);
        default: return true;
        }
    }

    reportEntry() {
        const attr = { type: 'Actual', mutability: this.mutability, persistent: true, constant: this.mutability === 'ReadOnly' };
        if (this.mutability !== 'WriteOnly') attr.value = String(this.current());
        const chars = { dataType: this.dataType, supportsMonitoring: false };
        if (this.valuesList) chars.valuesList = this.valuesList;
        if (this.unit) chars.unit = this.unit;
        return { component: this.componentJson(), variable: this.variableJson(), variableAttribute: [attr],
            variableCharacteristics: chars };
    }
}

function buildModel(st) {
    const p = (k, d) => String(st.param(k, d));
    const V = (c, n, v, m, t, x) => new Variable(c, n, v, m, t, x);
    const vs = [
        V('OCPPCommCtrlr', 'HeartbeatInterval', p('heartbeat_interval', 300), 'ReadWrite', 'integer', { min: 0, unit: 's' }),
        V('OCPPCommCtrlr', 'NetworkConfigurationPriority', '0', 'ReadWrite', 'SequenceList', { valuesList: '0' }),
        V('OCPPCommCtrlr', 'NetworkProfileConnectionAttempts', '3', 'ReadWrite', 'integer', { min: 1 }),
        V('OCPPCommCtrlr', 'OfflineThreshold', '60', 'ReadWrite', 'integer', { min: 0, unit: 's' }),
        V('OCPPCommCtrlr', 'MessageTimeout', p('call_timeout', 10), 'ReadOnly', 'integer', { instance: 'Default', unit: 's' }),
        V('OCPPCommCtrlr', 'MessageAttempts', '3', 'ReadWrite', 'integer', { instance: 'TransactionEvent', min: 1 }),
        V('OCPPCommCtrlr', 'MessageAttemptInterval', '5', 'ReadWrite', 'integer', { instance: 'TransactionEvent', min: 0, unit: 's' }),
        V('OCPPCommCtrlr', 'FileTransferProtocols', 'HTTPS', 'ReadOnly', 'MemberList', { valuesList: 'HTTPS' }),
        V('OCPPCommCtrlr', 'ResetRetries', '1', 'ReadWrite', 'integer', { min: 0 }),
        V('OCPPCommCtrlr', 'UnlockOnEVSideDisconnect', 'true', 'ReadWrite', 'boolean'),
        V('DeviceDataCtrlr', 'ItemsPerMessage', '16', 'ReadOnly', 'integer', { instance: 'GetReport' }),
        V('DeviceDataCtrlr', 'ItemsPerMessage', '16', 'ReadOnly', 'integer', { instance: 'GetVariables' }),
        V('DeviceDataCtrlr', 'ItemsPerMessage', '16', 'ReadOnly', 'integer', { instance: 'SetVariables' }),
        V('DeviceDataCtrlr', 'BytesPerMessage', '8000', 'ReadOnly', 'integer', { instance: 'GetReport' }),
        V('DeviceDataCtrlr', 'BytesPerMessage', '8000', 'ReadOnly', 'integer', { instance: 'GetVariables' }),
        V('DeviceDataCtrlr', 'BytesPerMessage', '8000', 'ReadOnly', 'integer', { instance: 'SetVariables' }),
        V('ClockCtrlr', 'DateTime', () => new Date().toISOString(), 'ReadOnly', 'dateTime'),
        V('ClockCtrlr', 'TimeSource', 'Heartbeat', 'ReadWrite', 'SequenceList', { valuesList: 'Heartbeat' }),
        V('SecurityCtrlr', 'SecurityProfile', '1', 'ReadOnly', 'integer'),
        V('SecurityCtrlr', 'OrganizationName', 'ocpp-rpc interop', 'ReadWrite', 'string', { max: 50 }),
        V('SecurityCtrlr', 'CertificateEntries', '0', 'ReadOnly', 'integer'),
        V('SecurityCtrlr', 'Identity', st.identity, 'ReadOnly', 'string'),
        V('SecurityCtrlr', 'BasicAuthPassword', '', 'WriteOnly', 'string', { max: 40 }),
        V('AuthCtrlr', 'Enabled', 'true', 'ReadOnly', 'boolean'),
        V('AuthCtrlr', 'AuthorizeRemoteStart', 'true', 'ReadWrite', 'boolean'),
        V('AuthCtrlr', 'LocalAuthorizeOffline', 'true', 'ReadWrite', 'boolean'),
        V('AuthCtrlr', 'LocalPreAuthorize', 'false', 'ReadWrite', 'boolean'),
        V('AuthCacheCtrlr', 'Available', 'true', 'ReadOnly', 'boolean'),
        V('AuthCacheCtrlr', 'Enabled', 'true', 'ReadWrite', 'boolean'),
        V('AuthCacheCtrlr', 'LifeTime', '86400', 'ReadWrite', 'integer', { min: 1, unit: 's' }),
        V('AuthCacheCtrlr', 'Storage', '4096', 'ReadOnly', 'integer', { unit: 'B' }),
        V('AuthCacheCtrlr', 'Policy', 'LRU', 'ReadOnly', 'OptionList', { valuesList: 'LRU' }),
        V('TxCtrlr', 'EVConnectionTimeOut', p('ev_connection_timeout', 60), 'ReadWrite', 'integer', { min: 1, unit: 's' }),
        V('TxCtrlr', 'StopTxOnEVSideDisconnect', 'true', 'ReadWrite', 'boolean'),
        V('TxCtrlr', 'StopTxOnInvalidId', 'true', 'ReadWrite', 'boolean'),
        V('TxCtrlr', 'TxStartPoint', p('tx_start_point', 'PowerPathClosed'), 'ReadWrite', 'MemberList', { valuesList: TX_POINTS }),
        V('TxCtrlr', 'TxStopPoint', p('tx_stop_point', 'PowerPathClosed'), 'ReadWrite', 'MemberList', { valuesList: TX_POINTS }),
        V('SampledDataCtrlr', 'Enabled', 'true', 'ReadWrite', 'boolean'),
        V('SampledDataCtrlr', 'TxStartedMeasurands', 'Energy.Active.Import.Register', 'ReadWrite', 'MemberList', { valuesList: MEASURANDS }),
        V('SampledDataCtrlr', 'TxUpdatedMeasurands', 'Energy.Active.Import.Register,Power.Active.Import', 'ReadWrite', 'MemberList', { valuesList: MEASURANDS }),
        V('SampledDataCtrlr', 'TxUpdatedInterval', p('meter_interval', 60), 'ReadWrite', 'integer', { min: 0, unit: 's' }),
        V('SampledDataCtrlr', 'TxEndedMeasurands', 'Energy.Active.Import.Register', 'ReadWrite', 'MemberList', { valuesList: MEASURANDS }),
        V('SampledDataCtrlr', 'TxEndedInterval', '0', 'ReadWrite', 'integer', { min: 0, unit: 's' }),
        V('AlignedDataCtrlr', 'Enabled', 'true', 'ReadWrite', 'boolean'),
        V('AlignedDataCtrlr', 'Interval', p('aligned_interval', 0), 'ReadWrite', 'integer', { min: 0, unit: 's' }),
        V('AlignedDataCtrlr', 'Measurands', 'Energy.Active.Import.Register', 'ReadWrite', 'MemberList', { valuesList: MEASURANDS }),
        V('AlignedDataCtrlr', 'TxEndedInterval', '0', 'ReadWrite', 'integer', { min: 0, unit: 's' }),
        V('AlignedDataCtrlr', 'TxEndedMeasurands', 'Energy.Active.Import.Register', 'ReadWrite', 'MemberList', { valuesList: MEASURANDS }),
        V('ChargingStation', 'AvailabilityState', () => st.availability(null), 'ReadOnly', 'OptionList',
            { valuesList: 'Available,Occupied,Reserved,Unavailable,Faulted' }),
        V('ChargingStation', 'Available', 'true', 'ReadOnly', 'boolean'),
        V('ChargingStation', 'SupplyPhases', '1', 'ReadOnly', 'integer'),
        V('ChargingStation', 'Model', p('model', 'RPC-201'), 'ReadOnly', 'string'),
        V('ChargingStation', 'VendorName', p('vendor', 'ocpp-rpc-interop'), 'ReadOnly', 'string'),
    ];
    for (let e = 1; e <= st.n; e += 1) {
        vs.push(
            V('EVSE', 'AvailabilityState', () => st.availability(e), 'ReadOnly', 'OptionList',
                { evse: e, valuesList: 'Available,Occupied,Reserved,Unavailable,Faulted' }),
            V('EVSE', 'Available', 'true', 'ReadOnly', 'boolean', { evse: e }),
            V('EVSE', 'Power', '7400', 'ReadOnly', 'decimal', { evse: e, unit: 'W' }),
            V('EVSE', 'SupplyPhases', '1', 'ReadOnly', 'integer', { evse: e }),
            V('Connector', 'AvailabilityState', () => st.availability(e), 'ReadOnly', 'OptionList',
                { evse: e, connector: 1, valuesList: 'Available,Occupied,Reserved,Unavailable,Faulted' }),
            V('Connector', 'Available', 'true', 'ReadOnly', 'boolean', { evse: e, connector: 1 }),
            V('Connector', 'ConnectorType', 'cType2', 'ReadOnly', 'string', { evse: e, connector: 1 }),
            V('Connector', 'SupplyPhases', '1', 'ReadOnly', 'integer', { evse: e, connector: 1 }),
        );
    }
    return new DeviceModel(vs);
}

class DeviceModel {
    constructor(variables) { this.variables = variables; }

    sameComponent(v, comp) {
        if (v.component !== comp.name) return false;
        const evse = comp.evse ? comp.evse.id : undefined;
        const conn = comp.evse ? comp.evse.connectorId : undefined;
        if (v.evse !== evse) return false;
        return conn === undefined || v.connector === conn;
    }

    /** [status, variable] for a component/variable pair of a Get/SetVariables item. */
    lookup(comp, variable) {
        const inComponent = this.variables.filter((v) => this.sameComponent(v, comp) && (comp.instance === undefined));
        if (!inComponent.length) return ['UnknownComponent', null];
        const v = inComponent.find((x) => x.name === variable.name && x.instance === variable.instance);
        return v ? ['Accepted', v] : ['UnknownVariable', null];
    }

    find(component, name, instance) {
        return this.variables.find((v) => v.component === component && v.name === name && v.instance === instance && v.evse === undefined);
    }

    get(component, name, instance) { return String(this.find(component, name, instance).current()); }
    set(component, name, value, instance) { this.find(component, name, instance).value = value; }
}

module.exports = { buildModel, Variable };
