/**
 * A template value as text: strings as they are, Fn::Join joined (nested too), anything else that
 * cannot be read offline (Ref, Fn::GetAtt, Fn::ImportValue) as `placeholder`, or as what
 * `placeholder` makes of it. Pure: no CDK.
 */
export function renderIntrinsic(value: unknown, placeholder: string | ((intrinsic: unknown) => string)): string {
  if (typeof value === 'string') {
    return value;
  }
  const join = value && typeof value === 'object' ? (value as { 'Fn::Join'?: [unknown, unknown] })['Fn::Join'] : undefined;
  if (join && typeof join[0] === 'string' && Array.isArray(join[1])) {
    return join[1].map((part) => renderIntrinsic(part, placeholder)).join(join[0]);
  }
  return typeof placeholder === 'string' ? placeholder : placeholder(value);
}

/** Whether `value` is a string or an Fn::Join, the forms `renderIntrinsic` can read. */
export function isJoinOrString(value: unknown): boolean {
  return typeof value === 'string' || (value !== null && typeof value === 'object' && 'Fn::Join' in value);
}
