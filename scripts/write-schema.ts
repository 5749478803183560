/** Writes config.schema.json (JSON Schema of the config file) from the TypeBox schema, for editors. */
import { writeFileSync } from 'node:fs'
import { configFileJsonSchema } from '../src/config/json-schema'

writeFileSync(new URL('../config.schema.json', import.meta.url), configFileJsonSchema())
console.log('wrote config.schema.json')
