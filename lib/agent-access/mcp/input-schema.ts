/*
 * Pure: the JSON Schema subset the MCP tools declare their input in, and the check of a tool's
 * input against it. The schema a client sees is the one the input is checked with, so the two
 * cannot drift; every problem is reported at once, each naming the input and what it must be.
 */

/** The part of JSON Schema the tools use. */
export interface InputSchema {
  readonly type?: 'object' | 'string' | 'integer' | 'array';
  /** What the value is, as a noun phrase: problems say "<name> must be <description>". */
  readonly description?: string;
  readonly properties?: Readonly<Record<string, InputSchema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean | InputSchema;
  readonly items?: InputSchema;
  readonly anyOf?: readonly InputSchema[];
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
  readonly minimum?: number;
  readonly maximum?: number;
}

/** A tool's input schema: an object, as MCP requires. */
export interface ObjectSchema extends InputSchema {
  readonly type: 'object';
  readonly properties: Readonly<Record<string, InputSchema>>;
}

/** Every problem with `value` against `schema`, each naming the input (`name`), what was wrong, and what it must be. */
export function inputProblems(schema: InputSchema, value: unknown, name = 'input'): string[] {
  const expected = schema.description ? `: ${schema.description}` : '';
  if (schema.anyOf) {
    if (schema.anyOf.some((option) => inputProblems(option, value, name).length === 0)) return [];
    return [`${name} must be ${schema.description ?? `one of: ${schema.anyOf.map((o) => o.type).join(', ')}`}; got ${shown(value)}`];
  }
  switch (schema.type) {
    case 'object': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return [`${name} must be an object${expected}; got ${shown(value)}`];
      const record = value as Record<string, unknown>;
      const properties = schema.properties ?? {};
      const problems: string[] = [];
      for (const key of schema.required ?? []) {
        if (record[key] === undefined) problems.push(`${child(name, key)} is required${properties[key]?.description ? `: ${properties[key].description}` : ''}`);
      }
      for (const [key, item] of Object.entries(record)) {
        if (item === undefined) continue;
        const declared = Object.prototype.hasOwnProperty.call(properties, key) ? properties[key] : undefined;
        if (declared) {
          problems.push(...inputProblems(declared, item, child(name, key)));
        } else if (schema.additionalProperties === false) {
          problems.push(`${child(name, key)} is not an input of this tool, which takes ${Object.keys(properties).join(', ')}`);
        } else if (typeof schema.additionalProperties === 'object') {
          problems.push(...inputProblems(schema.additionalProperties, item, child(name, key)));
        }
      }
      return problems;
    }
    case 'array': {
      if (!Array.isArray(value)) return [`${name} must be a list${expected}; got ${shown(value)}`];
      return schema.items ? value.flatMap((item, i) => inputProblems(schema.items!, item, `${name}[${i}]`)) : [];
    }
    case 'string': {
      const ok =
        typeof value === 'string' &&
        value.length >= (schema.minLength ?? 0) &&
        value.length <= (schema.maxLength ?? Infinity) &&
        (schema.pattern === undefined || new RegExp(schema.pattern, 'u').test(value));
      if (ok) return [];
      const length = schema.minLength !== undefined || schema.maxLength !== undefined ? ` (${schema.minLength ?? 0}-${schema.maxLength ?? 'any number of'} characters)` : '';
      return [`${name} must be ${schema.description ?? 'a string'}${length}; got ${shown(value)}`];
    }
    case 'integer': {
      const ok = typeof value === 'number' && Number.isInteger(value) && value >= (schema.minimum ?? -Infinity) && value <= (schema.maximum ?? Infinity);
      if (ok) return [];
      const range = schema.minimum !== undefined || schema.maximum !== undefined ? ` (a whole number from ${schema.minimum ?? '-∞'} to ${schema.maximum ?? '∞'})` : ' (a whole number)';
      return [`${name} must be ${schema.description ?? 'a number'}${range}; got ${shown(value)}`];
    }
    default:
      return [];
  }
}

const child = (parent: string, key: string) => (parent === 'input' ? key : `${parent}.${key}`);

/** A value as a problem shows it: JSON, cut short (input comes from a model, and may be long). */
function shown(value: unknown): string {
  const text = value === undefined ? 'nothing' : (JSON.stringify(value) ?? String(value));
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
