/** `agent-guardrails local --json`: time from spawning the process to its ready line, median of 5. */
import * as path from 'path';
import { Measure, median, ROOT, seconds, timeToFirstLine } from './measure';

export const localStart: Measure = {
  name: 'local-start',
  async run() {
    const times: number[] = [];
    for (let i = 0; i < 6; i++) {
      const { ms, line } = await timeToFirstLine(process.execPath, [path.join(ROOT, 'bin', 'agent-guardrails.js'), 'local', '--json']);
      if (!JSON.parse(line).url) throw new Error(`local --json printed ${line}`);
      if (i > 0) times.push(ms);
    }
    const ms = median(times);
    return {
      rows: [{ measure: '`agent-guardrails local` start to ready', before: '4-6.5 s', now: seconds(ms), target: 'under 1.5 s', met: ms < 1500 }],
      details: [],
    };
  },
};
