import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type App, Validations } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PipelineStack, PipelineStackProps } from '../../lib/pipeline-stack';
import {
  projectFunctions,
  resourcesOfType,
  synthPipelineStack,
  TEST_ACCOUNT,
  TEST_REGION,
} from './stack-fixture';

interface Variant {
  readonly name: string;
  readonly props: PipelineStackProps;
  readonly functionEntries: readonly string[];
}

const VARIANTS: readonly Variant[] = [
  { name: 'provisioned (defaults)', props: {}, functionEntries: ['ingest', 'consume', 'status'] },
  {
    name: 'serverless',
    props: { clusterType: 'serverless' },
    functionEntries: ['ingest', 'consume', 'status', 'topics'],
  },
];

/** Every acknowledgment recorded with Validations.of(...).acknowledge in the construct tree. */
function acknowledgments(root: IConstruct): { path: string; id: string; reason: string }[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}

describe.each(VARIANTS)('PipelineStack $name', ({ props, functionEntries }) => {
  let app: App;
  let stack: PipelineStack;
  let template: Template;
  beforeAll(() => {
    // GIVEN the whole stack, validated against the CloudFormation schemas. Not bundled here: CDK bundles
    // synchronously, which would block this worker for a minute on a busy machine; test/bin/app.test.ts checks
    // the bundles of a synth in a process of its own.
    ({ app, stack, template } = synthPipelineStack(props, { validate: true }));
  });

  it('passes the AWS Solutions checks with no unacknowledged error or warning', () => {
    // WHEN
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(stack);
    // THEN
    expect(report.violations.map((violation) => `${violation.ruleName}: ${violation.description}`)).toEqual(
      [],
    );
    expect(report.success).toBe(true);
  });

  it('acknowledges only named AwsSolutions rules, each with a reason', () => {
    // aws-cdk-lib records its own acknowledgments of CloudFormation-Validate rules; these are the stack's.
    const found = acknowledgments(stack).filter((acknowledgment) =>
      acknowledgment.id.includes('AwsSolutions'),
    );
    expect(found.length).toBeGreaterThan(0);
    for (const acknowledgment of found) {
      expect(acknowledgment.id).toMatch(/^AwsSolutions-[A-Z]+\d+(\[.+\])?$/);
      expect(acknowledgment.reason.length).toBeGreaterThan(60);
    }
    // Suppressions sit on the resources they concern, never on the stack as a whole.
    expect(found.filter((acknowledgment) => acknowledgment.path === stack.node.path)).toEqual([]);
  });

  it('tells cfn-lint to skip a rule only on named resources, each rule with its reason', () => {
    const resources = Object.values(template.toJSON().Resources as Record<string, { Metadata?: object }>);
    const acknowledged = resources.flatMap((resource) => {
      const metadata = (resource.Metadata as Record<string, unknown> | undefined)?.['cfn-lint'] as
        | { config: { ignore_checks: string[] }; ignore_reasons: Record<string, string> }
        | undefined;
      return metadata ? [metadata] : [];
    });
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const { config, ignore_reasons } of acknowledged) {
      expect(Object.keys(ignore_reasons).sort()).toEqual([...config.ignore_checks].sort());
      for (const ruleId of config.ignore_checks) {
        expect(ruleId).toMatch(/^[EWI]\d{4}$/);
        expect(ignore_reasons[ruleId]?.length).toBeGreaterThan(60);
      }
    }
    expect(template.toJSON().Metadata?.['cfn-lint']).toBeUndefined();
  });

  it('synthesizes a template that matches the CloudFormation resource schemas', () => {
    const report = JSON.parse(readFileSync(join(app.outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: { pluginName: string; violations: { ruleName: string; description: string }[] }[];
    };
    const violations = report.pluginReports.flatMap((plugin) =>
      plugin.violations.map(
        (violation) => `${plugin.pluginName} ${violation.ruleName}: ${violation.description}`,
      ),
    );
    expect(violations).toEqual([]);
  });

  it('never admits traffic from 0.0.0.0/0 or ::/0, nor from any address range', () => {
    const inline = Object.values(resourcesOfType(template, 'AWS::EC2::SecurityGroup')).flatMap(
      (group) => (group.Properties?.SecurityGroupIngress ?? []) as Record<string, unknown>[],
    );
    const standalone = Object.values(resourcesOfType(template, 'AWS::EC2::SecurityGroupIngress')).map(
      (rule) => rule.Properties as Record<string, unknown>,
    );
    const rules = [...inline, ...standalone];
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) {
      expect(rule.CidrIp).toBeUndefined();
      expect(rule.CidrIpv6).toBeUndefined();
      expect(rule.SourceSecurityGroupId).toBeDefined();
    }
  });

  it('spreads the network over three Availability Zones without an account or region', () => {
    const zones = Object.values(resourcesOfType(template, 'AWS::EC2::Subnet')).map(
      (subnet) => subnet.Properties?.AvailabilityZone,
    );
    expect(zones).toEqual([0, 1, 2].map((index) => ({ 'Fn::Select': [index, { 'Fn::GetAZs': '' }] })));
  });

  it('sets a retention on every log group', () => {
    const groups = Object.values(resourcesOfType(template, 'AWS::Logs::LogGroup'));
    expect(groups.length).toBeGreaterThanOrEqual(functionEntries.length + 2);
    for (const group of groups) expect(group.Properties?.RetentionInDays).toBe(30);
  });

  it('runs every function of the stack on nodejs22.x arm64 inside the VPC', () => {
    const functions = projectFunctions(template);
    expect(functions).toHaveLength(functionEntries.length);
    for (const fn of functions) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        VpcConfig: { SubnetIds: expect.any(Array), SecurityGroupIds: expect.any(Array) },
        LoggingConfig: { LogFormat: 'JSON', LogGroup: expect.anything() },
      });
    }
  });

  it('outputs the API URL, cluster ARN, ledger table and on-failure queue', () => {
    template.hasOutput('ApiUrl', { Value: Match.anyValue() });
    template.hasOutput('ClusterArn', { Value: Match.anyValue() });
    template.hasOutput('LedgerTableName', { Value: Match.anyValue() });
    template.hasOutput('OnFailureQueueUrl', { Value: Match.anyValue() });
  });
});

describe('PipelineStack settings', () => {
  it('lets the CLI look an existing VPC up: the first pass synthesizes and reports the lookup it needs', () => {
    // GIVEN -c vpcId before the VPC has been looked up (nothing cached)
    const { app } = synthPipelineStack({
      vpcId: 'vpc-0abc1234def567890',
      env: { account: TEST_ACCOUNT, region: TEST_REGION },
    });
    // WHEN the app is synthesized, THEN it asks for the VPC instead of stopping on the placeholder's two zones
    const missing = app.synth().manifest.missing ?? [];
    expect(missing.map((entry) => entry.provider)).toContain('vpc-provider');
  });

  it('refuses a vpc object and a vpcId together', () => {
    expect(() => synthPipelineStack({ vpcId: 'vpc-0abc1234', vpc: {} as PipelineStackProps['vpc'] })).toThrow(
      /vpcId cannot be combined with a vpc object/,
    );
  });
});
