/**
 * One synth of a generated app, in a process of its own so that its peak memory is its own:
 * `node -r ts-node/register/transpile-only bench/measures/synth-child.ts STACKS VARIANT`.
 * Prints one JSON line: the milliseconds from building the app to the end of synth (module loading
 * excluded), the process's peak resident set in MiB (module loading included), and the number of
 * resources in the app's templates.
 *
 * Variants:
 *  - `without`: the generator's app with every construct of the library replaced by an empty
 *    construct (the generator has no variant without the guardrails; this is that app's services alone);
 *  - `core`: `generateApp(stacks)`: production protection, the boundary, agent and deploy roles;
 *  - `every`: `generateApp(stacks, { guardrails: true })`, every guardrail (approval, breaker too);
 *  - `review`: `core` with the review as a validation plugin (`AgentGuardrailsReview`).
 */
import * as fs from 'fs';
import { performance } from 'perf_hooks';

type Variant = 'without' | 'core' | 'every' | 'review';

/** Stands in for the library: every export is a class of empty constructs whose methods do nothing. */
function emptyLibrary(): unknown {
  const { Construct } = require('constructs') as typeof import('constructs');
  const nothing = () => undefined;
  const stub = () => {
    class Empty extends Construct {
      constructor(scope: import('constructs').Construct, id: string) {
        super(scope, id);
        return new Proxy(this, { get: (target, key, receiver) => (key in target ? Reflect.get(target, key, receiver) : nothing) });
      }
    }
    return new Proxy(Empty, { get: (target, key, receiver) => (key in target ? Reflect.get(target, key, receiver) : () => ({ apply: nothing })) });
  };
  const classes = new Map<PropertyKey, unknown>();
  return new Proxy({}, { get: (_, key) => classes.get(key) ?? classes.set(key, stub()).get(key) });
}

function main(): void {
  const [stacks, variant] = [Number(process.argv[2]), process.argv[3] as Variant];
  if (variant === 'without') {
    const empty = emptyLibrary();
    const loader = require('module') as { _load: (request: string, parent: { filename?: string } | undefined, isMain: boolean) => unknown };
    const load = loader._load;
    loader._load = function (request, parent, isMain) {
      return request === '../lib' && parent?.filename?.endsWith('app-generator.ts') ? empty : load.call(this, request, parent, isMain);
    };
  }
  const { generateApp } = require('../app-generator') as typeof import('../app-generator');
  const { Validations } = require('aws-cdk-lib') as typeof import('aws-cdk-lib');
  const { AgentGuardrailsReview } = require('../../lib') as typeof import('../../lib');
  const start = performance.now();
  const app = generateApp(stacks, { guardrails: variant === 'every' });
  if (variant === 'review') Validations.of(app).addPlugins(new AgentGuardrailsReview({ quiet: true }));
  const assembly = app.synth();
  const ms = performance.now() - start;
  const rssMiB = process.resourceUsage().maxRSS / 1024;
  // Counted after the peak was read: reading the templates back is no part of synth.
  const resources = assembly.stacks.reduce((total, stack) => total + Object.keys(stack.template.Resources ?? {}).length, 0);
  fs.rmSync(assembly.directory, { recursive: true, force: true });
  process.stdout.write(`${JSON.stringify({ ms, rssMiB, resources })}\n`);
}

main();
