/*
 * I/O: change sets for local mode, read from a directory of `describe-change-set` outputs (the JSON
 * `aws cloudformation describe-change-set --include-property-values --output json` prints), so
 * that binding and impact can be tried in CI with no AWS.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ChangeSetDescription, ChangeSetReader } from '../handlers/deps';

/** Reads every `*.json` file of `dir` once; a file that is not a described change set is an error naming it. */
export function changeSetsFromDirectory(dir: string): ChangeSetReader {
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => n.endsWith('.json')).sort();
  } catch (error) {
    throw new Error(`--change-sets: cannot read directory ${dir}: ${(error as Error).message}`);
  }
  const byId = new Map<string, Record<string, any>>();
  for (const name of names) {
    const file = path.join(dir, name);
    let document: Record<string, any>;
    try {
      document = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (error) {
      throw new Error(`--change-sets: ${file} is not JSON (${(error as Error).message}); save describe-change-set output with --output json`);
    }
    if (typeof document?.ChangeSetId !== 'string') {
      throw new Error(`--change-sets: ${file} has no ChangeSetId; it must be the output of aws cloudformation describe-change-set --output json`);
    }
    byId.set(document.ChangeSetId, document);
  }
  return {
    async describe(changeSetArn: string): Promise<ChangeSetDescription> {
      const root = byId.get(changeSetArn);
      if (!root) {
        return { found: false, message: `change set ${changeSetArn} is not among the ${byId.size} in ${dir}` };
      }
      const documents: unknown[] = [root];
      const queue = [root];
      while (queue.length > 0) {
        for (const change of queue.shift()!.Changes ?? []) {
          const nested = change?.ResourceChange?.ResourceType === 'AWS::CloudFormation::Stack' ? byId.get(change.ResourceChange.ChangeSetId) : undefined;
          if (nested && !documents.includes(nested)) {
            documents.push(nested);
            queue.push(nested);
          }
        }
      }
      return { found: true, documents };
    },
  };
}

/** A reader for local mode without change sets: every lookup says where they come from. */
export const NO_CHANGE_SETS: ChangeSetReader = {
  async describe(changeSetArn) {
    return { found: false, message: `local mode reads change sets from --change-sets DIR, and none was given (asked for ${changeSetArn})` };
  },
};
