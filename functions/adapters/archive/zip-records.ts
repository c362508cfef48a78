// The few ZIP records a WACZ needs, written by hand because the archive is built across several
// invocations: a zip library (yazl) holds its offsets and CRCs in memory and cannot continue an
// archive a dead process began. Plain ZIP (APPNOTE 6.3.x, sections 4.3.7, 4.3.9, 4.3.12, 4.3.16),
// no ZIP64: a WACZ of 4 GiB or more is refused (the job's archive cap, 1 GiB of payload by default,
// keeps well below).
import { crc32, deflateRawSync } from 'node:zlib';

const LOCAL_HEADER = 0x04034b50;
const DATA_DESCRIPTOR = 0x08074b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
/** bit 3: CRC and sizes follow the data (data descriptor); bit 11: the name is UTF-8 */
const FLAG_DESCRIPTOR = 0x0008;
const FLAG_UTF8 = 0x0800;
const VERSION = 20;
export const ZIP_LIMIT = 0xffffffff;

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflated */
  method: 0 | 8;
  crc: number;
  compressedSize: number;
  size: number;
  offset: number;
  descriptor: boolean;
}

/** MS-DOS time and date of a JavaScript date (UTC: archives built anywhere agree). */
function dosDateTime(date: Date): { time: number; date: number } {
  return {
    time: (date.getUTCHours() << 11) | (date.getUTCMinutes() << 5) | Math.floor(date.getUTCSeconds() / 2),
    date: ((Math.max(1980, date.getUTCFullYear()) - 1980) << 9) | ((date.getUTCMonth() + 1) << 5) | date.getUTCDate(),
  };
}

function checkSize(value: number, what: string): void {
  if (value > ZIP_LIMIT) throw new Error(`the archive's ${what} passes 4 GiB, beyond what a ZIP without ZIP64 can hold`);
}

/** The local header of an entry whose CRC and sizes come after its data (a data descriptor). */
export function streamedLocalHeader(name: string, modified: Date): Buffer {
  return localHeader({ name, method: 0, crc: 0, compressedSize: 0, size: 0, offset: 0, descriptor: true }, modified);
}

function localHeader(entry: ZipEntry, modified: Date): Buffer {
  const name = Buffer.from(entry.name, 'utf8');
  const { time, date } = dosDateTime(modified);
  const header = Buffer.alloc(30);
  header.writeUInt32LE(LOCAL_HEADER, 0);
  header.writeUInt16LE(VERSION, 4);
  header.writeUInt16LE(FLAG_UTF8 | (entry.descriptor ? FLAG_DESCRIPTOR : 0), 6);
  header.writeUInt16LE(entry.method, 8);
  header.writeUInt16LE(time, 10);
  header.writeUInt16LE(date, 12);
  header.writeUInt32LE(entry.descriptor ? 0 : entry.crc, 14);
  header.writeUInt32LE(entry.descriptor ? 0 : entry.compressedSize, 18);
  header.writeUInt32LE(entry.descriptor ? 0 : entry.size, 22);
  header.writeUInt16LE(name.length, 26);
  header.writeUInt16LE(0, 28);
  return Buffer.concat([header, name]);
}

export function dataDescriptor(crc: number, size: number): Buffer {
  checkSize(size, 'WARC data');
  const record = Buffer.alloc(16);
  record.writeUInt32LE(DATA_DESCRIPTOR, 0);
  record.writeUInt32LE(crc >>> 0, 4);
  record.writeUInt32LE(size, 8);
  record.writeUInt32LE(size, 12);
  return record;
}

/** A small file whole: its local header and deflated body, and its entry for the central directory. */
export function wholeEntry(name: string, body: Buffer, offset: number, modified: Date): { bytes: Buffer; entry: ZipEntry } {
  const compressed = deflateRawSync(body);
  const entry: ZipEntry = { name, method: 8, crc: crc32(body) >>> 0, compressedSize: compressed.length, size: body.length, offset, descriptor: false };
  return { bytes: Buffer.concat([localHeader(entry, modified), compressed]), entry };
}

/** The central directory and its end record, for entries that start at `offset` onwards. */
export function centralDirectory(entries: readonly ZipEntry[], offset: number, modified: Date): Buffer {
  const { time, date } = dosDateTime(modified);
  const records = entries.map((entry) => {
    checkSize(entry.offset, 'size');
    const name = Buffer.from(entry.name, 'utf8');
    const header = Buffer.alloc(46);
    header.writeUInt32LE(CENTRAL_HEADER, 0);
    header.writeUInt16LE(VERSION, 4);
    header.writeUInt16LE(VERSION, 6);
    header.writeUInt16LE(FLAG_UTF8 | (entry.descriptor ? FLAG_DESCRIPTOR : 0), 8);
    header.writeUInt16LE(entry.method, 10);
    header.writeUInt16LE(time, 12);
    header.writeUInt16LE(date, 14);
    header.writeUInt32LE(entry.crc >>> 0, 16);
    header.writeUInt32LE(entry.compressedSize, 20);
    header.writeUInt32LE(entry.size, 24);
    header.writeUInt16LE(name.length, 28);
    // extra, comment, disk, internal and external attributes: 0
    header.writeUInt32LE(entry.offset, 42);
    return Buffer.concat([header, name]);
  });
  const directory = Buffer.concat(records);
  checkSize(offset + directory.length, 'size');
  const end = Buffer.alloc(22);
  end.writeUInt32LE(END_OF_CENTRAL_DIRECTORY, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([directory, end]);
}
