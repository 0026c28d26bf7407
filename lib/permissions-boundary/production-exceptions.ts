/*
 * Validation of `allowProductionActions`: reads the IAM action catalog, no CDK.
 */
import { actionWords } from './action-patterns';
import { catalogActionsOf } from './catalog-actions';

/** Actions the platform team lets agents perform on production, and why. */
export interface ProductionActionException {
  /** IAM actions or `service:Prefix*` patterns, for example `dynamodb:PutItem`. */
  readonly actions: string[];
  /** Why agents need them on production; shown by the review. At least 10 characters. */
  readonly reason: string;
}

/** Verbs of actions that are never an exception: they remove production or what it holds. */
const NEVER_EXCEPTED_VERBS = new Set(['delete', 'terminate', 'purge', 'destroy', 'drop', 'deregister', 'remove', 'disable', 'stop', 'reboot', 'restore', 'schedule']);

/** Why the production exceptions cannot be accepted; empty when they can. */
export function exceptionProblems(exceptions: readonly ProductionActionException[]): string[] {
  const problems: string[] = [];
  exceptions.forEach((exception, i) => {
    const where = `allowProductionActions[${i}]`;
    if (exception.reason.trim().length < 10) {
      problems.push(`${where}.reason must say in at least 10 characters why agents need these actions on production, got ${JSON.stringify(exception.reason)}`);
    }
    if (exception.actions.length === 0) {
      problems.push(`${where}.actions must name at least one action, got []`);
    }
    for (const action of exception.actions) {
      const [service, name] = action.split(':');
      if (!service || !name || !/^[a-z0-9-]+$/.test(service) || !/^[A-Za-z0-9*?]+$/.test(name)) {
        problems.push(`${where}.actions must hold IAM actions like "dynamodb:PutItem" (a wildcard only after the service prefix), got ${JSON.stringify(action)}`);
        continue;
      }
      const pattern = new RegExp(`^${name.replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
      const matched = catalogActionsOf(service).filter((a) => pattern.test(a.name));
      if (matched.length === 0) {
        problems.push(`${where}.actions names ${JSON.stringify(action)}, which matches no action in the IAM action catalog; check the spelling`);
        continue;
      }
      const refused = matched.filter((a) => service === 'cloudformation' || NEVER_EXCEPTED_VERBS.has(actionWords(a.name)[0].toLowerCase()));
      if (refused.length > 0) {
        problems.push(
          `${where}.actions names ${JSON.stringify(action)}, which includes ${refused.slice(0, 3).map((a) => `${service}:${a.name}`).join(', ')}: ` +
            'deleting, stopping or restoring production and changing its stacks are never exceptions; run them through the two-person approval workflow',
        );
      }
    }
  });
  return problems;
}

