/** The resolved configuration as `--check` prints it: keys masked, nothing secret. */
import { maskKey } from '../observability/redact'
import type { Config } from './schema'

export function describeConfig(config: Config): string {
  const lines = [
    `listen: http://${config.host}:${config.port}`,
    `log level: ${config.logLevel}`,
    `claude models: sonnet/opus → ${config.bigModel}, haiku → ${config.smallModel} (preferred provider ${config.preferredProvider})`,
    `client auth: ${config.proxyApiKeys.length > 0 ? `${config.proxyApiKeys.length} proxy key(s)` : 'off (PROXY_API_KEYS unset)'}`,
    'services:',
  ]
  for (const s of Object.values(config.services)) {
    const keys = s.keys.length === 0 ? 'no keys' : `${s.keys.length} key(s): ${s.keys.map(maskKey).join(', ')}`
    lines.push(`  ${s.name} (${s.format}): ${keys}`)
    for (const url of s.endpoints) lines.push(`    ${url}`)
  }
  lines.push('  mock (both formats): built in, no key')
  return lines.join('\n')
}
