// node harness.mjs MODULE_DIR: run Companion's QLab module from MODULE_DIR, driven by JSON
// lines on stdin, one JSON line answered on stdout each:
//   {"do": "init", "config": {...}}          -> {"ok": true}
//   {"do": "action", "id": "go", "options": {}} -> {"ok": true}
//   {"do": "report"}                          -> {"statuses", "variables", "logs"}
//   {"do": "end"}                             -> destroys the instance and exits
import { register } from 'node:module'
import path from 'node:path'
import readline from 'node:readline'
import { pathToFileURL } from 'node:url'

register('./hooks.mjs', import.meta.url, { data: { cache: process.env.COMPANION_CACHE } })
await import(pathToFileURL(path.join(process.argv[2], 'qlabfb.js')).href)
const instance = new globalThis.companionInstanceClass('rig')
const say = (value) => process.stdout.write(JSON.stringify(value) + '\n')
const context = { parseVariablesInString: async (text) => text }

for await (const line of readline.createInterface({ input: process.stdin })) {
  const order = JSON.parse(line)
  try {
    if (order.do === 'init') {
      await instance.init(order.config)
      say({ ok: true })
    } else if (order.do === 'action') {
      await instance.actions[order.id].callback(
        { actionId: order.id, options: order.options ?? {} }, context)
      say({ ok: true })
    } else if (order.do === 'report') {
      say({ statuses: instance.statuses, variables: instance.variables, logs: instance.logs })
    } else if (order.do === 'end') {
      await instance.destroy()
      say({ ok: true })
      process.exit(0)
    }
  } catch (error) {
    say({ error: String(error && error.stack || error) })
  }
}
