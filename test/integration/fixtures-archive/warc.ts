// Reads WARC bytes back with warcio's own parser (never a hand-rolled one), keeping what the
// archive tests look at.
import { WARCParser } from 'warcio';

export interface ParsedRecord {
  type: string;
  uri: string;
  id: string;
  date: string;
  header(name: string): string | null;
  status: number | undefined;
  httpHeader(name: string): string | null;
  payload: Uint8Array;
}

export async function parseWarc(bytes: Uint8Array | string): Promise<ParsedRecord[]> {
  const source = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
  const records: ParsedRecord[] = [];
  for await (const record of WARCParser.iterRecords([source])) {
    const payload = await record.readFully(false);
    const http = record.httpHeaders;
    records.push({
      type: record.warcType,
      uri: record.warcTargetURI ?? '',
      id: record.warcHeader('WARC-Record-ID') ?? '',
      date: record.warcDate ?? '',
      header: (name) => record.warcHeader(name) ?? null,
      status: http?.statusCode === undefined ? undefined : Number(http.statusCode),
      httpHeader: (name) => http?.headers.get(name) ?? null,
      payload,
    });
  }
  return records;
}
