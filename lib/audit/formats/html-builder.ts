/*
 * Pure: HTML built from templates in which every interpolated value is escaped, unless it is
 * itself HTML built here. Text from CloudTrail records and the approval API therefore becomes text,
 * never markup: no value reaches the page without passing `escapeHtml`.
 */

const BRAND = Symbol('html');

/** A piece of HTML built by `html`. */
export interface Html {
  readonly [BRAND]: string;
}

/** Escapes text for an element's content or a quoted attribute value. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** What a template takes: text (escaped), numbers, HTML built here, lists of them, and nothing (omitted). */
export type HtmlValue = string | number | Html | undefined | null | false | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value === undefined || value === null || value === false) return '';
  if (Array.isArray(value)) return value.map(render).join('');
  if (typeof value === 'object' && BRAND in (value as object)) return (value as Html)[BRAND];
  return escapeHtml(String(value));
}

/** HTML from a template: `html\`<td>${text}</td>\``. */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0];
  values.forEach((value, i) => {
    out += render(value) + strings[i + 1];
  });
  return { [BRAND]: out };
}

/** A trusted constant of this module's callers (a stylesheet), never a value from outside. */
export function trusted(constant: string): Html {
  return { [BRAND]: constant };
}

/** The string of a piece of HTML. */
export const htmlString = (value: Html): string => value[BRAND];
