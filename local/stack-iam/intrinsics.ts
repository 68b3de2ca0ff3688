/**
 * Evaluates the CloudFormation intrinsics the stack uses to build ARNs (Fn::Join, Fn::Select, Fn::Split,
 * Fn::GetAtt, Ref) against given attribute values, so a test can check the ARN IAM will really see.
 * An attribute without a given value evaluates to a `<LogicalId.Attribute>` placeholder.
 */
export function evaluate(value: unknown, attributes: Readonly<Record<string, string>>): unknown {
  if (typeof value === 'string' || typeof value === 'number') return value;
  if (Array.isArray(value)) return value.map((item) => evaluate(item, attributes));
  if (value === null || typeof value !== 'object')
    throw new Error(`cannot evaluate ${JSON.stringify(value)}`);
  const entries = Object.entries(value);
  const [name, argument] = entries[0] ?? [];
  if (entries.length !== 1 || name === undefined || !(name === 'Ref' || name.startsWith('Fn::'))) {
    return Object.fromEntries(entries.map(([key, item]) => [key, evaluate(item, attributes)]));
  }
  switch (name) {
    case 'Fn::Join': {
      const [separator, parts] = argument as [string, unknown[]];
      return (evaluate(parts, attributes) as unknown[]).map(String).join(separator);
    }
    case 'Fn::Select': {
      const [index, list] = argument as [number, unknown];
      return (evaluate(list, attributes) as unknown[])[Number(index)];
    }
    case 'Fn::Split': {
      const [separator, source] = argument as [string, unknown];
      return String(evaluate(source, attributes)).split(separator);
    }
    case 'Fn::GetAtt': {
      const key = (argument as string[]).join('.');
      return lookUp(attributes, key);
    }
    case 'Ref':
      return lookUp(attributes, argument as string);
    default:
      throw new Error(`unsupported intrinsic ${name}`);
  }
}

function lookUp(attributes: Readonly<Record<string, string>>, key: string): string {
  return attributes[key] ?? `<${key}>`;
}
