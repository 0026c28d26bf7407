/*
 * A stand-in for CloudTrail on 127.0.0.1 that speaks its JSON protocol (awsJson1_1, as the SDK
 * calls it): POST with `X-Amz-Target: CloudTrail_20131101.LookupEvents`, times as epoch seconds,
 * pages linked by NextToken, errors as `{"__type", "message"}` with status 400. The SDK finds it
 * through AWS_ENDPOINT_URL_CLOUDTRAIL.
 */
import * as http from 'http';
import { AddressInfo } from 'net';

/** One call the stand-in received. */
export interface StandInCall {
  readonly target?: string;
  readonly body: any;
  readonly authorization?: string;
}

/** A running stand-in. */
export interface CloudTrailStandIn {
  readonly url: string;
  readonly calls: StandInCall[];
  close(): Promise<void>;
}

const TARGET = 'CloudTrail_20131101.LookupEvents';

/**
 * Serves `records` in pages of `pageSize` (in the order given); `failFirst` answers the first call
 * with that error instead (a throttle, say); `failAlways` answers every call with it.
 */
export async function startCloudTrailStandIn(records: readonly any[], options: { pageSize?: number; failFirst?: string; failAlways?: { type: string; message: string } } = {}): Promise<CloudTrailStandIn> {
  const calls: StandInCall[] = [];
  const pageSize = options.pageSize ?? 50;
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (chunk) => (text += chunk));
    req.on('end', () => {
      const body = JSON.parse(text || '{}');
      const target = req.headers['x-amz-target'] as string | undefined;
      calls.push({ target, body, authorization: req.headers.authorization });
      const fail = (type: string, message: string) => {
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ __type: type, message }));
      };
      if (req.method !== 'POST' || target !== TARGET) return fail('UnknownOperationException', `unknown operation ${target}`);
      if (options.failAlways) return fail(options.failAlways.type, options.failAlways.message);
      if (options.failFirst && calls.length === 1) return fail(options.failFirst, 'Rate exceeded');
      const start = Number(body.StartTime) * 1000;
      const end = Number(body.EndTime) * 1000;
      const inRange = records.filter((r) => Date.parse(r.eventTime) >= start && Date.parse(r.eventTime) <= end);
      const offset = body.NextToken ? Number(String(body.NextToken).replace('offset-', '')) : 0;
      const size = Math.min(pageSize, Number(body.MaxResults ?? 50));
      const page = inRange.slice(offset, offset + size).map((r) => ({ EventId: r.eventID, EventName: r.eventName, ReadOnly: String(r.readOnly), EventTime: Date.parse(r.eventTime) / 1000, EventSource: r.eventSource, CloudTrailEvent: JSON.stringify(r) }));
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ Events: page, ...(offset + size < inRange.length ? { NextToken: `offset-${offset + size}` } : {}) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Runs `body` with the SDK pointed at `url`, with fake static credentials, and restores the environment after. */
export async function withCloudTrailAt<T>(url: string, body: () => Promise<T>): Promise<T> {
  const saved = { ...process.env };
  Object.assign(process.env, { AWS_ENDPOINT_URL_CLOUDTRAIL: url, AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE', AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', AWS_REGION: 'eu-west-1' });
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_SESSION_TOKEN;
  try {
    return await body();
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
}
