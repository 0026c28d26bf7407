/*
 * The audit's fixtures: CloudTrail records in the shape AWS documents, and a trail's bucket as
 * `aws s3 sync` leaves it on disk (log files gzipped per account and region, a digest, a stray file).
 *
 * The story: the launcher (IAM user operator) assumes coding-agent for task OPS-42; the agent reads
 * orders-prod, proposes a change set, is denied DeleteStack, TerminateInstances (EC2's
 * Client.UnauthorizedOperation), the elevated role and its own role's policy, chains into its role
 * in the staging account, and the circuit breaker quarantines it; two approvers approve the reset
 * (an elevated session of alice's) and the execution of the change set (an elevated session of
 * coding-agent's). A human admin, the workflow's functions, CloudFormation's service role and
 * AWS services call too, and must be left out. lookup-events.json holds review-agent's session,
 * whose AssumeRole is not in the records.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { gzipSync } from 'zlib';

export const FIXTURES = path.join(__dirname, 'fixtures');

/** The request id the elevated session's tags carry in the fixtures. */
export const FIXTURE_REQUEST_ID = '7d1c2b9e-5f3a-4e8b-9c6d-2a1b0c9d8e7f';

/** A fixture's text, with `replace` applied. */
export function fixtureText(name: string, replace: Readonly<Record<string, string>> = {}): string {
  let text = fs.readFileSync(path.join(FIXTURES, name), 'utf8');
  for (const [from, to] of Object.entries(replace)) text = text.split(from).join(to);
  return text;
}

/** A fixture's records. */
export const fixtureRecords = (name: string, replace: Readonly<Record<string, string>> = {}): any[] => JSON.parse(fixtureText(name, replace)).Records;

const gz = (value: unknown) => new Uint8Array(gzipSync(JSON.stringify(value)));

/** A temporary folder laid out as a trail's S3 bucket, holding every log-file fixture. */
export function trailFolder(replace: Readonly<Record<string, string>> = {}, extra: Record<string, unknown[]> = {}): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'trail-'));
  const write = (relative: string, content: Uint8Array | string) => {
    const file = path.join(root, relative);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  };
  const logDir = (account: string, region: string) => `AWSLogs/${account}/CloudTrail/${region}/2026/03/02`;
  const logName = (account: string, region: string, hour: string, suffix: string) => `${account}_CloudTrail_${region}_20260302T${hour}Z_${suffix}.json.gz`;
  const agent = fixtureRecords('agent-session.json', replace);
  const others = fixtureRecords('other-principals.json', replace);
  const inRegion = (records: any[], region: string) => records.filter((r) => r.awsRegion === region);
  // IAM and sign-in are global: CloudTrail delivers their records in us-east-1.
  write(`${logDir('111122223333', 'eu-west-1')}/${logName('111122223333', 'eu-west-1', '1005', 'Ab12Cd34Ef56Gh78')}`, gz({ Records: [...inRegion(agent, 'eu-west-1'), ...inRegion(others, 'eu-west-1')] }));
  write(`${logDir('111122223333', 'us-east-1')}/${logName('111122223333', 'us-east-1', '1010', 'Ij90Kl12Mn34Op56')}`, gz({ Records: [...inRegion(agent, 'us-east-1'), ...inRegion(others, 'us-east-1')] }));
  write(`${logDir('444455556666', 'eu-west-1')}/${logName('444455556666', 'eu-west-1', '1005', 'Qr78St90Uv12Wx34')}`, gz({ Records: fixtureRecords('chained-session.json', replace) }));
  // One log file unpacked, as someone who opened it leaves it.
  write(`${logDir('111122223333', 'eu-west-1')}/111122223333_CloudTrail_eu-west-1_20260302T1035Z_Yz56Ab78Cd90Ef12.json`, JSON.stringify({ Records: fixtureRecords('elevated-session.json', replace) }));
  for (const [name, records] of Object.entries(extra)) write(`${logDir('111122223333', 'eu-west-1')}/${name}`, gz({ Records: records }));
  write(
    'AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/2026/03/02/111122223333_CloudTrail-Digest_eu-west-1_org-trail_us-east-1_20260302T110000Z.json.gz',
    gz({ awsAccountId: '111122223333', digestStartTime: '2026-03-02T10:00:00Z', digestEndTime: '2026-03-02T11:00:00Z', digestS3Bucket: 'org-trail-logs', logFiles: [] }),
  );
  write('AWSLogs/111122223333/README.txt', 'synced with aws s3 sync\n');
  return root;
}
