import { Stack, Token } from 'aws-cdk-lib';
import { renderIntrinsic } from './intrinsics';

/**
 * Turns a string that may contain tokens (`{ "Fn::Join": ["", ["data-", { "Ref": "AWS::AccountId" }]] }`)
 * into an IAM wildcard pattern (`data-*`). Anything that cannot be read offline becomes `*`, which
 * only widens a Deny. Returns undefined when nothing literal is left (the whole name is a token).
 */
export function physicalNamePattern(stack: Stack, value: string): string | undefined {
  const pattern = tokenPattern(stack, value);
  return pattern.replace(/\*/g, '').length === 0 ? undefined : pattern;
}

/** Resolves `value` in `stack` and renders it with every unresolvable part as `*`. */
export function tokenPattern(stack: Stack, value: unknown): string {
  if (typeof value === 'string' && !Token.isUnresolved(value)) {
    return value;
  }
  return renderIntrinsic(stack.resolve(value), '*').replace(/\*+/g, '*');
}


/**
 * The prefix CloudFormation uses when it names a resource itself: `<stack name>-<logical id>-<random>`.
 * Long stack names are shortened in generated names, so the prefix keeps at most `maxLength`
 * characters (a shorter prefix only widens a Deny).
 */
export function generatedNamePrefix(stackName: string, maxLength: number, lowerCase: boolean): string {
  const prefix = stackName.slice(0, maxLength);
  return `${lowerCase ? prefix.toLowerCase() : prefix}-*`;
}
