import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { PipelineStack, type PipelineStackProps } from '../../lib/pipeline-stack';

export const TEST_ACCOUNT = '123456789012';
export const TEST_REGION = 'eu-west-1';

export interface TestAppOptions {
  /** Bundle the functions with esbuild (otherwise skipped: only the stack test checks bundles). */
  readonly bundle?: boolean;
  /** Run the CloudFormation schema validation on synth (its first run in a process costs ~10 s). */
  readonly validate?: boolean;
  readonly context?: Record<string, unknown>;
}

/** An app for construct tests: by default no bundling and no schema validation, so a synth takes < 1 s. */
export function testApp(options: TestAppOptions = {}): App {
  return new App({
    builtinCloudFormationValidation: options.validate ?? false,
    context: {
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
      // Cached answer of the availability-zones lookup, so an environment-bound stack needs no AWS call.
      [`availability-zones:account=${TEST_ACCOUNT}:region=${TEST_REGION}`]: [
        'eu-west-1a',
        'eu-west-1b',
        'eu-west-1c',
      ],
      ...options.context,
    },
  });
}

/** A stack bound to a fixed account and region, for constructs tested on their own. */
export function testStack(app: App = testApp()): Stack {
  return new Stack(app, 'ConstructTest', { env: { account: TEST_ACCOUNT, region: TEST_REGION } });
}

/** The whole pipeline stack, synthesized once; share the result across a file's assertions. */
export function synthPipelineStack(
  props: PipelineStackProps = {},
  options: TestAppOptions = {},
): { app: App; stack: PipelineStack; template: Template } {
  const app = testApp(options);
  const stack = new PipelineStack(app, 'Payments', props);
  return { app, stack, template: Template.fromStack(stack) };
}

type Resources = Record<string, { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] }>;

/** Resources of one type, by logical id. */
export function resourcesOfType(template: Template, type: string): Resources {
  return template.findResources(type) as Resources;
}

/** The logical id of the only resource of a type whose properties match `filter`. */
export function onlyLogicalId(template: Template, type: string, filter?: Record<string, unknown>): string {
  const found = Object.keys(template.findResources(type, filter ? { Properties: filter } : undefined));
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}: ${found.join(', ')}`);
  return found[0] as string;
}

/**
 * The functions built from functions/: not the custom-resource provider framework's own function (it talks only
 * to CloudFormation and Lambda) nor the DynamoDB prefix-list lookup (one EC2 Describe call at deploy time).
 */
export function projectFunctions(template: Template) {
  return Object.values(resourcesOfType(template, 'AWS::Lambda::Function')).filter(
    (fn) =>
      !String(fn.Properties?.Description ?? '').includes('AWS CDK resource provider framework') &&
      !JSON.stringify(fn.Properties?.Role).includes('DynamoDbPrefixListRole'),
  );
}
