/** The fields every inbound API's schema shares: what routing reads. */
import { Type } from '@sinclair/typebox'

export const Model = Type.String({ minLength: 1 })
export const Stream = Type.Optional(Type.Boolean())
