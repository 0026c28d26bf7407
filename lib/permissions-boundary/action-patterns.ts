/*
 * Pure: action patterns derived from the IAM action catalog, never written by hand. IAM accepts no
 * wildcard in a service prefix, so "every read" is a list of per-service patterns; each pattern
 * is a prefix of whole words of an action name (`Describe*`, `BatchGet*`), chosen so that it
 * matches the actions wanted and no other action of the service in the catalog.
 *
 * Word prefixes, not the shortest unique prefix: a pattern such as `ec2:Describe*` stays right when
 * AWS adds a new describe action, where `ec2:Des*` would not say what it means.
 */

/** The part of a catalog action the patterns need. */
export interface PatternAction {
  readonly service: string;
  readonly name: string;
  /** `Read`, `List`, `Write`, `Permissions management` or `Tagging`, as the catalog spells it. */
  readonly accessLevel: string;
}

/**
 * Actions the catalog calls reads that change what production does, so they are not kept as reads:
 * receiving a message hides it from the service's own consumers and counts towards moving it to
 * the dead-letter queue.
 */
export const STATE_CHANGING_READS: readonly string[] = ['sqs:ReceiveMessage'];

/** Whether the catalog calls `action` a read (access level Read or List). */
export function isReadAccess(action: PatternAction): boolean {
  return action.accessLevel === 'Read' || action.accessLevel === 'List';
}

/** Whether `action` reads without changing anything: a catalog read not in `STATE_CHANGING_READS`. */
export function isPureRead(action: PatternAction): boolean {
  return isReadAccess(action) && !STATE_CHANGING_READS.some((n) => n.toLowerCase() === `${action.service}:${action.name}`.toLowerCase());
}

/** The words of an action name: `BatchGetItem` is Batch, Get, Item; `GETRestApis` is GET, Rest, Apis. */
export function actionWords(name: string): string[] {
  return name.match(/[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+/g) ?? [name];
}

/**
 * The shortest list of word-prefix patterns (without the service prefix) that matches every
 * action of `actions` for which `wanted` holds and no other. `actions` must all be of one service.
 */
export function coverActions(actions: readonly PatternAction[], wanted: (action: PatternAction) => boolean): string[] {
  const unwanted = actions.filter((a) => !wanted(a)).map((a) => a.name.toLowerCase());
  // IAM matches action names case-insensitively and by characters, not words: `List*` would also
  // match a write named `Listen...`, so a prefix is used only when no unwanted action starts with it.
  const safe = (prefix: string) => !unwanted.some((name) => name.startsWith(prefix.toLowerCase()));
  const patterns: string[] = [];
  const visit = (depth: number, prefix: string, group: readonly PatternAction[]) => {
    if (!group.some(wanted)) return;
    if (depth > 0 && safe(prefix)) {
      const exact = group.length === 1 && actionWords(group[0].name).length === depth;
      patterns.push(exact ? group[0].name : `${prefix}*`);
      return;
    }
    const next = new Map<string, PatternAction[]>();
    for (const action of group) {
      const words = actionWords(action.name);
      if (words.length === depth) {
        // The prefix is the whole name of this action and also starts others: name it exactly.
        if (wanted(action)) patterns.push(action.name);
        continue;
      }
      const word = words[depth];
      next.set(word, [...(next.get(word) ?? []), action]);
    }
    for (const [word, members] of [...next.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      visit(depth + 1, prefix + word, members);
    }
  };
  visit(0, '', actions);
  return [...new Set(patterns)].sort();
}

/** `service:Pattern` for every read of `service` that changes nothing (see `isPureRead`). */
export function readPatterns(service: string, actions: readonly PatternAction[]): string[] {
  return coverActions(actions.filter((a) => a.service === service), isPureRead).map((p) => `${service}:${p}`);
}

/** `service:Pattern` for every action of `service` that is not a read (Write, Permissions management, Tagging). */
export function writePatterns(service: string, actions: readonly PatternAction[]): string[] {
  return coverActions(actions.filter((a) => a.service === service), (a) => !isReadAccess(a)).map((p) => `${service}:${p}`);
}
