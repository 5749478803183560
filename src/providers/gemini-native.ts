/**
 * Gemini through its own API (`format: gemini`): generateContent and its
 * kin at generativelanguage.googleapis.com/v1beta, the key in
 * `x-goog-api-key` (never in the URL, where logs keep it).
 */
import { GEMINI_HOST, gemini } from './gemini'
import type { Provider } from './provider'

export const geminiNative: Provider = {
  name: 'gemini-native',
  telemetryName: 'gcp.gemini',
  format: 'gemini',
  baseUrl: `https://${GEMINI_HOST}/v1beta`,
  apis: ['gemini'],
  auth: { header: 'x-goog-api-key', prefix: '' },
  // Who the client is (Google's SDKs say it in x-goog-api-client); never its key.
  forwarded: ['accept', 'user-agent', 'x-goog-api-client', 'x-request-id'],
  keyRules: gemini.keyRules,
}
