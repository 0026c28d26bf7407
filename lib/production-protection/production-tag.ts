/**
 * The tag that marks production. Shared by `ProductionProtection` (which applies it) and the agent
 * permissions boundary (which denies destructive actions on anything that carries it).
 */
export interface ProductionTag {
  /**
   * Tag key.
   *
   * @default 'Environment'
   */
  readonly key?: string;

  /**
   * Values that mean production, matched case-insensitively by the boundary. `ProductionProtection`
   * applies the first one.
   *
   * @default ['production']
   */
  readonly values?: string[];
}

/** Default production tag key. */
export const DEFAULT_PRODUCTION_TAG_KEY = 'Environment';

/** Default production tag values. */
export const DEFAULT_PRODUCTION_TAG_VALUES: readonly string[] = ['production'];

/** A production tag with its defaults filled in. */
export interface ResolvedProductionTag {
  readonly key: string;
  readonly values: string[];
}

// Tag keys and values allowed by AWS tagging (letters, digits, spaces and + - = . _ : / @).
const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u;

/**
 * Fills in defaults and validates a production tag. Returns every problem found (empty when valid),
 * each naming `propName` and the value received.
 */
export function resolveProductionTag(
  tag: ProductionTag | undefined,
  propName: string,
): { tag: ResolvedProductionTag; problems: string[] } {
  const key = tag?.key ?? DEFAULT_PRODUCTION_TAG_KEY;
  const values = tag?.values ?? [...DEFAULT_PRODUCTION_TAG_VALUES];
  const problems: string[] = [];
  if (key.length === 0 || key.length > 128 || !TAG_TEXT.test(key) || key.toLowerCase().startsWith('aws:')) {
    problems.push(
      `${propName}.key must be 1-128 characters of letters, digits, spaces and + - = . _ : / @, not starting with "aws:"; got ${JSON.stringify(key)}`,
    );
  }
  if (values.length === 0) {
    problems.push(`${propName}.values must name at least one value that means production; got []`);
  }
  for (const value of values) {
    if (value.length === 0 || value.length > 256 || !TAG_TEXT.test(value)) {
      problems.push(
        `${propName}.values must be 1-256 characters of letters, digits, spaces and + - = . _ : / @; got ${JSON.stringify(value)}`,
      );
    }
  }
  return { tag: { key, values }, problems };
}
