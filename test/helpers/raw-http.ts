/** HTTP/1.1 on a bare socket, for what a client library would normalise away (the request line, Host). */
import { connect } from 'node:net'

export interface RawResponse {
  status: number
  headers: string
  body: string
}

/** Sends one request as written and reads the answer to the end (the request says `Connection: close`). */
export function raw(url: string, head: string, body = ''): Promise<RawResponse> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname)
    let text = ''
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => (text += chunk))
    socket.on('error', reject)
    socket.on('end', () => {
      const split = text.indexOf('\r\n\r\n')
      const headers = text.slice(0, split)
      resolve({ status: Number(headers.split(' ')[1]), headers, body: text.slice(split + 4) })
    })
    socket.write(`${head}\r\nConnection: close\r\n${body ? `Content-Length: ${Buffer.byteLength(body)}\r\n` : ''}\r\n${body}`)
  })
}
