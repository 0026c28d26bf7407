/**
 * `npx cdk synth` of the example app, as the README's Quick start runs it (cdk.json's app: the
 * handler bundle, a no-op when it is current, then bin/app.ts with the review plugin, through the
 * TypeScript require hook), wall time, into a temporary directory. cdk.json runs it without CDK's
 * built-in CloudFormation validation unless CDK_VALIDATION says otherwise; to show validation's
 * share, it also runs with `CDK_VALIDATION=true`. Median of 3 each after one warm-up, alternating.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Measure, median, runChild, seconds } from './measure';

/** Runs `npx cdk synth`; `validation` sets CDK_VALIDATION, which the app command passes on (cdk.json). */
async function synth(validation: boolean): Promise<number> {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-guardrails-bench-synth-'));
  try {
    const child = await runChild('npx', ['cdk', 'synth', '--quiet', '-o', out], { CDK_VALIDATION: validation ? 'true' : undefined });
    if (child.code !== 0) throw new Error(`cdk synth exited ${child.code}: ${child.stderr}`);
    return child.ms;
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

export const synthExample: Measure = {
  name: 'synth-example',
  async run() {
    await synth(false);
    const off: number[] = [];
    const on: number[] = [];
    for (let i = 0; i < 3; i++) {
      off.push(await synth(false));
      on.push(await synth(true));
    }
    const [a, b] = [median(off), median(on)];
    return {
      rows: [{ measure: '`npx cdk synth` of the example app (as the Quick start runs it)', before: '9-12 s', now: `${seconds(a)} (${seconds(b)} with CDK's validation)`, target: 'at least 2x faster than 9-12 s, same output', met: a <= 4500 }],
      details: [
        '### `npx cdk synth` of the example app (wall time, median of 3, alternating)',
        '',
        '| CDK built-in validation | s |',
        '| --- | ---: |',
        `| off (cdk.json's default) | ${(a / 1000).toFixed(2)} |`,
        `| on (\`CDK_VALIDATION=true npx cdk synth\`) | ${(b / 1000).toFixed(2)} |`,
        `| validation's share | ${((b - a) / 1000).toFixed(2)} |`,
      ],
    };
  },
};
