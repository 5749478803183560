/**
 * A .zip writer, just enough for a release archive (Windows users expect a
 * zip; a system `zip` is not on every build machine): deflated files, Unix
 * modes kept, no zip64 (each file and the whole under 4 GiB).
 */
import { crc32, deflateRawSync } from 'node:zlib'

export interface ZipEntry {
  name: string
  data: Uint8Array
  mode?: number
}

export function zip(entries: ZipEntry[]): Buffer {
  const locals: Buffer[] = []
  const centrals: Buffer[] = []
  let offset = 0
  for (const { name, data, mode = 0o644 } of entries) {
    const path = Buffer.from(name)
    const packed = deflateRawSync(data)
    const crc = crc32(data)
    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0) // local file header
    local.writeUInt16LE(20, 4) // version needed: 2.0 (deflate)
    local.writeUInt16LE(0x0800, 6) // names are UTF-8
    local.writeUInt16LE(8, 8) // deflate
    local.writeUInt32LE(0x00210000, 10) // 1980-01-01 00:00: reproducible archives
    local.writeUInt32LE(crc, 14)
    local.writeUInt32LE(packed.length, 18)
    local.writeUInt32LE(data.length, 22)
    local.writeUInt16LE(path.length, 26)
    locals.push(local, path, packed)
    const central = Buffer.alloc(46)
    central.writeUInt32LE(0x02014b50, 0) // central directory header
    central.writeUInt16LE((3 << 8) | 20, 4) // made by: Unix, so the mode below counts
    local.copy(central, 6, 4, 30) // version needed .. name length, as in the local header
    central.writeUInt32LE(((0o100000 | mode) << 16) >>> 0, 38) // a regular file with its mode
    central.writeUInt32LE(offset, 42)
    centrals.push(central, path)
    offset += local.length + path.length + packed.length
  }
  const directory = Buffer.concat(centrals)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0) // end of central directory
  end.writeUInt16LE(entries.length, 8)
  end.writeUInt16LE(entries.length, 10)
  end.writeUInt32LE(directory.length, 12)
  end.writeUInt32LE(offset, 16)
  return Buffer.concat([...locals, directory, end])
}
