/*
 * I/O: the text of a file of recorded CloudTrail events, unpacked when its first bytes say it is
 * gzipped (as CloudTrail delivers log files), whatever its name. The audit and the breaker's
 * replay read their inputs through it and word their own errors.
 */
import * as fs from 'fs';
import { gunzipSync } from 'zlib';

/** The file's text, or why it could not be had: it could not be read, or it is gzip that does not unpack. */
export type TrailFileText =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly reason: 'unreadable' | 'bad-gzip'; readonly detail: string };

/** Reads `file`, unpacking gzip. */
export function readTrailFileText(file: string): TrailFileText {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (error) {
    return { ok: false, reason: 'unreadable', detail: (error as NodeJS.ErrnoException).code ?? (error as Error).message };
  }
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    } catch (error) {
      return { ok: false, reason: 'bad-gzip', detail: (error as Error).message };
    }
  }
  return { ok: true, text: bytes.toString('utf8') };
}
