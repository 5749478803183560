/** The config file's schema as a JSON Schema document (TypeBox schemas are JSON Schema already). */
import { ConfigFile } from './file-schema'

export function configFileJsonSchema(): string {
  const schema = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'lmlb configuration',
    ...JSON.parse(JSON.stringify(ConfigFile)),
  }
  // Our own error wording is not JSON Schema; editors do not need it.
  return `${JSON.stringify(schema, (key, value) => (key === 'errorMessage' ? undefined : value), 2)}\n`
}
