import { RecordHeaders } from '../driver/kafka-driver';

/**
 * Header names as Buffers, made once per name: a relay sends the same few names (correlation id,
 * event type, trace context, producer, sequence) on every record, and a Buffer per name per record
 * was a fifth of what the producer side of an inventory catch-up allocated in this adapter. The
 * library only appends them to its request (it never writes into them). Bounded, in case a caller
 * sends names that are not a small fixed set.
 */
const headerNames = new Map<string, Buffer>();
const MAX_CACHED_HEADER_NAMES = 256;

function headerName(name: string): Buffer {
  let buffer = headerNames.get(name);
  if (buffer === undefined) {
    buffer = Buffer.from(name);
    if (headerNames.size < MAX_CACHED_HEADER_NAMES) headerNames.set(name, buffer);
  }
  return buffer;
}

const bufferOf = (value: Buffer | string): Buffer => (Buffer.isBuffer(value) ? value : Buffer.from(value));

/**
 * A record's headers as the library's producer takes them: a Map of Buffers. A header with several
 * values gets a key per value (a Map holds one value per key), so each goes out as its own header.
 */
export function headersOut(headers: RecordHeaders | undefined): Map<Buffer, Buffer> | undefined {
  if (!headers) return undefined;
  const out = new Map<Buffer, Buffer>();
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (value === undefined) continue;
    if (Array.isArray(value)) {
      for (const each of value) out.set(Buffer.from(name), bufferOf(each));
    } else {
      out.set(headerName(name), bufferOf(value));
    }
  }
  return out;
}
