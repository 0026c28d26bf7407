/** Wall time of `npx jest` (the whole suite); slow, so only with `--with-test-suite`. */
import { Measure, runChild, seconds } from './measure';

export const testSuite: Measure = {
  name: 'test-suite',
  optIn: true,
  async run() {
    const child = await runChild('npx', ['jest', '--silent']);
    const ms = child.ms;
    return {
      rows: [{ measure: '`npx jest` wall time (the whole suite)', before: '180-300 s', now: `${seconds(ms)}${child.code === 0 ? '' : ' (failures)'}`, target: 'under 90 s', met: ms < 90_000 && child.code === 0 }],
      details: [],
    };
  },
};
