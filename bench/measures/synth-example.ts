/**
 * `npx cdk synth` of the example app (cdk.json's app: bundle, ts-node, bin/app.ts with the review
 * plugin), wall time, into a temporary directory; with CDK's built-in validation (the default) and,
 * to show its share, without it. Median of 3 each, alternating.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Measure, median, runChild, seconds } from './measure';

async function synth(validation: boolean): Promise<number> {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-guardrails-bench-synth-'));
  try {
    const child = await runChild('npx', ['cdk', 'synth', '--quiet', '-o', out], validation ? {} : { CDK_VALIDATION: 'false' });
    if (child.code !== 0) throw new Error(`cdk synth exited ${child.code}: ${child.stderr}`);
    return child.ms;
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

export const synthExample: Measure = {
  name: 'synth-example',
  async run() {
    await synth(true);
    const on: number[] = [];
    const off: number[] = [];
    for (let i = 0; i < 3; i++) {
      on.push(await synth(true));
      off.push(await synth(false));
    }
    const [a, b] = [median(on), median(off)];
    return {
      rows: [{ measure: '`npx cdk synth` of the example app (validation on)', before: '9-12 s', now: `${seconds(a)} (${seconds(b)} with validation off)`, target: 'at least 2x faster than 9-12 s, same output', met: a <= 4500 }],
      details: [
        '### `npx cdk synth` of the example app (wall time, median of 3, alternating)',
        '',
        '| CDK built-in validation | s |',
        '| --- | ---: |',
        `| on (the default) | ${(a / 1000).toFixed(2)} |`,
        `| off (\`CDK_VALIDATION=false\`) | ${(b / 1000).toFixed(2)} |`,
        `| validation's share | ${((a - b) / 1000).toFixed(2)} |`,
      ],
    };
  },
};
