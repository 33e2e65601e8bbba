// Node module hooks for the harness: the QLab module's imports of `@companion-module/base`
// resolve to the stand-in (base.mjs), and `osc` to the copy `make testdata` installed.
// The module's own files are loaded from ../shared/peers unchanged.
import { pathToFileURL } from 'node:url'
import path from 'node:path'

let cache = ''
export async function initialize(data) { cache = data.cache }

export async function resolve(specifier, context, next) {
  if (specifier === '@companion-module/base') {
    return { url: new URL('./base.mjs', import.meta.url).href, shortCircuit: true }
  }
  if (specifier === 'osc') {
    const entry = path.join(cache, 'node_modules', 'osc', 'src', 'platforms', 'osc-node.js')
    return { url: pathToFileURL(entry).href, shortCircuit: true }
  }
  return next(specifier, context)
}
