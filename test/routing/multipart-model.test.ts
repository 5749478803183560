/**
 * An audio upload's `model` is a form field, found and rewritten in the
 * bytes as they came. The rewrite must change that field alone: the body
 * read back as a form has the new model and every other part (the audio
 * file's bytes above all) exactly as sent.
 */
import { describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import { boundaryOf, findModelField, withModelField } from '../../src/routing/multipart-model'

/** A real multipart body, as a client's FormData is sent. */
async function upload(fields: [string, string | Blob][]): Promise<{ body: Uint8Array; contentType: string }> {
  const form = new FormData()
  for (const [name, value] of fields) typeof value === 'string' ? form.append(name, value) : form.append(name, value, 'audio.wav')
  const request = new Request('http://x/', { method: 'POST', body: form })
  // Read before the body: Bun drops a FormData body's content type once the body is read.
  const contentType = request.headers.get('content-type')!
  return { body: new Uint8Array(await request.arrayBuffer()), contentType }
}

const formOf = (body: Uint8Array, contentType: string) =>
  new Response(body as Uint8Array<ArrayBuffer>, { headers: { 'content-type': contentType } }).formData()

const enc = new TextEncoder()
const part = (boundary: string, headers: string, value: string) => `--${boundary}\r\n${headers}\r\n\r\n${value}\r\n`

describe('boundaryOf', () => {
  test('the boundary of a multipart/form-data type, quoted or not, wherever the parameter sits, any case', () => {
    expect(boundaryOf('multipart/form-data; boundary=----abc123')).toBe('----abc123')
    expect(boundaryOf('multipart/form-data; boundary="a b;c"')).toBe('a b;c')
    expect(boundaryOf('Multipart/Form-Data; charset=utf-8; BOUNDARY=xyz')).toBe('xyz')
    expect(boundaryOf('multipart/form-data;boundary=xyz; foo=bar')).toBe('xyz')
  })

  test('none for other types, no content type, or no boundary parameter', () => {
    for (const type of [
      null,
      'application/json',
      'multipart/mixed; boundary=x',
      'multipart/form-data',
      'multipart/form-data; charset=utf-8',
      'text/plain; boundary=x',
    ])
      expect(boundaryOf(type)).toBeUndefined()
  })
})

describe('findModelField', () => {
  test('the model field after a file part: its value and where it lies', async () => {
    const audio = new Blob([new Uint8Array([0, 13, 10, 13, 10, 45, 45, 255])])
    const { body, contentType } = await upload([
      ['file', audio],
      ['model', 'whisper-1'],
      ['language', 'fr'],
    ])
    const field = findModelField(body, boundaryOf(contentType)!)
    expect(field?.value).toBe('whisper-1')
    expect(new TextDecoder().decode(body.subarray(field!.start, field!.end))).toBe('whisper-1')
  })

  test('only a part named exactly "model": not model_name, not a file called "model"', () => {
    const b = 'B0UND'
    const text =
      part(b, 'Content-Disposition: form-data; name="file"; filename="model"', 'bytes') +
      part(b, 'Content-Disposition: form-data; name="model_name"', 'nope') +
      part(b, 'content-disposition: form-data; name="model"', 'gpt-4o-transcribe') +
      `--${b}--\r\n`
    expect(findModelField(enc.encode(text), b)?.value).toBe('gpt-4o-transcribe')
    expect(
      findModelField(enc.encode(part(b, 'Content-Disposition: form-data; name="model_name"', 'x') + `--${b}--\r\n`), b),
    ).toBeUndefined()
  })

  test('none in a body with no model field, or one cut off before its part ends', () => {
    const b = 'B0UND'
    expect(findModelField(enc.encode(part(b, 'Content-Disposition: form-data; name="language"', 'fr') + `--${b}--\r\n`), b)).toBeUndefined()
    expect(findModelField(enc.encode(`--${b}\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisp`), b)).toBeUndefined()
    expect(findModelField(enc.encode(`--${b}\r\nContent-Disposition: form-data; name="model"`), b)).toBeUndefined()
  })
})

describe('withModelField', () => {
  test('for any model names and audio bytes: the new model is read back, every other part unchanged', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }),
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }),
        fc.uint8Array({ maxLength: 200 }),
        async (before, after, audio) => {
          const { body, contentType } = await upload([
            ['file', new Blob([audio])],
            ['model', before],
            ['prompt', 'keep me'],
          ])
          const field = findModelField(body, boundaryOf(contentType)!)!
          expect(field.value).toBe(before)
          const rewritten = withModelField(body, field, after)
          expect(findModelField(rewritten, boundaryOf(contentType)!)?.value).toBe(after)
          const form = await formOf(rewritten, contentType)
          expect(form.get('model')).toBe(after)
          expect(form.get('prompt')).toBe('keep me')
          expect(new Uint8Array(await (form.get('file') as Blob).arrayBuffer())).toEqual(audio)
        },
      ),
      { numRuns: 50 },
    )
  })

  test('bytes outside the field are copied as they were, the length changing by the difference', () => {
    const body = enc.encode('head[old-model]tail')
    const out = withModelField(body, { start: 5, end: 14 }, 'ñ')
    expect(new TextDecoder().decode(out)).toBe('head[ñ]tail')
    expect(out.length).toBe(body.length - 9 + 2)
  })
})
