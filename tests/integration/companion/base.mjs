// A stand-in for Companion's InstanceBase: what Companion would show (status, variables,
// log) is recorded instead of sent to Companion; oscSend sends one UDP datagram, as
// Companion does for a module. Everything else comes from the real @companion-module/base.
import dgram from 'node:dgram'
import { createRequire } from 'node:module'
import path from 'node:path'
import OSC from 'osc'

const require = createRequire(path.join(process.env.COMPANION_CACHE, 'package.json'))
const real = require('@companion-module/base')
export const { InstanceStatus, Regex, combineRgb, CreateConvertToBooleanFeedbackUpgradeScript } = real

export function runEntrypoint(cls) { globalThis.companionInstanceClass = cls }

export class InstanceBase {
  constructor(id) {
    this.id = id
    this.instanceOptions = {}
    this.statuses = [] // [status, message] in order
    this.variables = {}
    this.logs = []
  }
  updateStatus(status, message) { this.statuses.push([status, message ?? null]) }
  setVariableDefinitions() {}
  setVariableValues(values) { Object.assign(this.variables, values) }
  setActionDefinitions(actions) { this.actions = actions }
  setFeedbackDefinitions() {}
  setPresetDefinitions() {}
  checkFeedbacks() {}
  log(level, text) { this.logs.push([level, text]) }
  parseVariablesInString(text) { return text }
  oscSend(host, port, address, args) {
    const list = args === undefined ? [] : Array.isArray(args) ? args : [args]
    if (!this.udp) { this.udp = dgram.createSocket('udp4'); this.udp.unref() }
    this.udp.send(Buffer.from(OSC.writePacket({ address, args: list })), port, host)
  }
}
