/**
 * The local workflow validates every definition it is given, once per process: a definition seen
 * valid before is not validated again, and an invalid one is refused every time.
 */
import { LocalWorkflow } from '../../lib/approval-workflow/local/local-workflow';

const runTask = async () => ({});

function definition(next: string) {
  return {
    StartAt: 'First',
    States: {
      First: { Type: 'Pass', Next: next },
      Done: { Type: 'Succeed' },
    },
  };
}

describe('definition validation', () => {
  test('a valid definition runs, the first time and again', async () => {
    for (let i = 0; i < 2; i++) {
      const workflow = new LocalWorkflow({ definition: definition('Done'), runTask });
      await workflow.start(`request-${i}`);
      expect((await workflow.outcome(`request-${i}`)).status).toBe('SUCCEEDED');
    }
  });

  test('fails when a state names a next state that does not exist, every time it is given', () => {
    for (let i = 0; i < 2; i++) {
      expect(() => new LocalWorkflow({ definition: definition('Missing'), runTask })).toThrow(/Missing/);
    }
  });

  test('fails when an invalid definition follows a valid one that differs only in that state', () => {
    expect(() => new LocalWorkflow({ definition: definition('Done'), runTask })).not.toThrow();
    expect(() => new LocalWorkflow({ definition: definition('Elsewhere'), runTask })).toThrow(/Elsewhere/);
  });
});
