import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventDefinition } from '../../functions/event/definition';
import { appNames } from '../../functions/shared/app-names';
import { eventRoutes } from '../../functions/shared/event-definition';
import { CONTEXT_KEYS } from '../../lib/context';
import { projectFunctions } from '../lib/stack-fixture';

/**
 * The app as `npx cdk synth -c key=value` runs it: bin/app.ts with cdk.json's context and the `-c` values
 * merged over it, bundling every function with esbuild and checking cdk-nag's rules (a finding fails the synth).
 * Each context set is synthesized once, one after the other. (`npm run lint:cfn` runs the CLI itself.)
 */
const projectRoot = join(import.meta.dirname, '..', '..');
/** The routes of the pipeline's own event type: they come from its definition, not from the context. */
const { collection, item } = eventRoutes(eventDefinition);
const run = promisify(execFile);
/** The cloud assemblies written, removed after the tests. */
const synthesized: string[] = [];
/** The cloud assembly each template came from (its function bundles are there). */
const assemblyOf = new Map<Template, string>();

/**
 * bin/app.ts run as the CLI runs it: a process of its own with CDK_CONTEXT_JSON (cdk.json's context merged in)
 * and CDK_OUTDIR. What the CLI would fetch from an AWS account (the VPC lookup's answer) is given as
 * cdk.context.json would hold it. A process of its own also keeps the long synchronous synth off this worker.
 */
async function appSynth(
  stackId: string,
  context: Record<string, unknown>,
  env: Record<string, string> = {},
): Promise<Template> {
  const cdkJson = JSON.parse(readFileSync(join(projectRoot, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  const output = mkdtempSync(join(tmpdir(), 'payments-synth-'));
  synthesized.push(output);
  await run('npx', ['tsx', 'bin/app.ts'], {
    cwd: projectRoot,
    env: {
      ...process.env,
      ...env,
      CDK_OUTDIR: output,
      CDK_CONTEXT_JSON: JSON.stringify({ ...cdkJson.context, ...context }),
    },
    maxBuffer: 64 * 1024 * 1024,
  });
  const manifest = JSON.parse(readFileSync(join(output, 'manifest.json'), 'utf8')) as { missing?: unknown[] };
  // Nothing left to look up: this is the synth a deploy would use.
  expect(manifest.missing ?? []).toEqual([]);
  const template = Template.fromJSON(
    JSON.parse(readFileSync(join(output, `${stackId}.template.json`), 'utf8')),
  );
  assemblyOf.set(template, output);
  return template;
}

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const VPC_ID = 'vpc-0abc1234def567890';
const VPC_CIDR = '10.20.0.0/16';

/** A VPC lookup answer with private subnets (routed through NAT) in three zones. */
const existingVpc = {
  vpcId: VPC_ID,
  vpcCidrBlock: VPC_CIDR,
  ownerAccountId: ACCOUNT,
  availabilityZones: [],
  subnetGroups: [
    {
      name: 'Private',
      type: 'Private',
      subnets: ['a', 'b', 'c'].map((zone, index) => ({
        subnetId: `subnet-0${zone}1234`,
        cidr: `10.20.${index * 16}.0/20`,
        availabilityZone: `${REGION}${zone}`,
        routeTableId: `rtb-0${zone}1234`,
      })),
    },
  ],
};

/** Every documented value appears in one of the sets (cdk.json gives the rest). */
const CONTEXT_SETS = {
  ingestOpen: { ingestAuthorization: 'none' },
  serverless: {
    appName: 'payments-sandbox',
    clusterType: 'serverless',
    ingestReservedConcurrency: '20',
    logRetentionDays: '90',
    metricsNamespace: 'PaymentsSandbox',
  },
  existingVpc: {
    stackId: 'PaymentsInExistingVpc',
    topic: 'payments-v2',
    deadLetterTopic: 'payments-v2.dead-letter',
    ledgerTable: 'payments-ledger-v2',
    consumerGroupId: 'payments-v2-ledger',
    vpcId: VPC_ID,
    createVpcEndpoints: 'false',
    kafkaVersion: '3.9.x',
    brokerInstanceType: 'kafka.t3.small',
    brokerCount: '6',
    partitions: '12',
    consumerBatchSize: '500',
    consumerRetryAttempts: '2',
    consumerMaximumPollers: '6',
    ingestAuthorization: 'iam',
    clusterType: 'provisioned',
  },
} as const;

const templates = {} as Record<keyof typeof CONTEXT_SETS, Template>;

beforeAll(async () => {
  // What a new user types to open the API (README, "Deploying to AWS").
  templates.ingestOpen = await appSynth(appNames().stackId, CONTEXT_SETS.ingestOpen);
  templates.serverless = await appSynth('ExactlyOncePaymentsSandbox', CONTEXT_SETS.serverless);
  templates.existingVpc = await appSynth(
    'PaymentsInExistingVpc',
    {
      ...CONTEXT_SETS.existingVpc,
      [`vpc-provider:account=${ACCOUNT}:filter.vpc-id=${VPC_ID}:region=${REGION}:returnAsymmetricSubnets=true`]:
        existingVpc,
    },
    { CDK_DEFAULT_ACCOUNT: ACCOUNT, CDK_DEFAULT_REGION: REGION },
  );
}, 600_000);

afterAll(() => {
  for (const directory of synthesized) rmSync(directory, { recursive: true, force: true });
});

function functionWith(template: Template, description: RegExp): Record<string, unknown> {
  const found = Object.values(
    template.findResources('AWS::Lambda::Function', {
      Properties: { Description: Match.stringLikeRegexp(description.source) },
    }),
  );
  expect(found).toHaveLength(1);
  return (found[0] as { Properties: Record<string, unknown> }).Properties;
}

describe('cdk synth with every documented context value', () => {
  it('covers every context key the README documents', () => {
    const covered = new Set(Object.values(CONTEXT_SETS).flatMap((set) => Object.keys(set)));
    const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
    for (const key of CONTEXT_KEYS) {
      expect(readme).toContain(`| \`${key}\` |`);
      expect(covered).toContain(key);
    }
  });

  it('-c ingestAuthorization=none opens POST of events only; the status route keeps IAM', () => {
    const routes = templates.ingestOpen.findResources('AWS::ApiGatewayV2::Route');
    const byKey = Object.fromEntries(
      Object.values(routes).map((route) => [route.Properties.RouteKey, route.Properties.AuthorizationType]),
    );
    expect(byKey).toEqual({ [`POST ${collection}`]: 'NONE', [`GET ${item}`]: 'AWS_IAM' });
  });

  it('reserves no ingest concurrency unless asked, and reserves what -c ingestReservedConcurrency says', () => {
    expect(functionWith(templates.ingestOpen, /idempotent Kafka producer/).ReservedConcurrentExecutions).toBe(
      undefined,
    );
    expect(functionWith(templates.serverless, /idempotent Kafka producer/).ReservedConcurrentExecutions).toBe(
      20,
    );
  });

  it('builds the cdk.json cluster by default: Kafka 3.8.x, three m7g brokers, the latest configuration', () => {
    const template = templates.ingestOpen;
    const configurationId = Object.keys(template.findResources('AWS::MSK::Configuration'))[0];
    template.hasResourceProperties('AWS::MSK::Cluster', {
      KafkaVersion: '3.8.x',
      NumberOfBrokerNodes: 3,
      BrokerNodeGroupInfo: Match.objectLike({ InstanceType: 'kafka.m7g.large' }),
      ConfigurationInfo: {
        Arn: Match.anyValue(),
        Revision: { 'Fn::GetAtt': [configurationId, 'LatestRevision.Revision'] },
      },
    });
    template.hasResourceProperties('AWS::MSK::Topic', {
      TopicName: appNames().topic,
      PartitionCount: 6,
      ReplicationFactor: 3,
    });
  });

  it('bundles each function with esbuild into minified ESM that can require() and maps to its sources', () => {
    // The provisioned default has the ingest, consume and status functions; Serverless adds the topics one.
    for (const [template, functionCount] of [
      [templates.ingestOpen, 3],
      [templates.serverless, 4],
    ] as const) {
      const functions = projectFunctions(template);
      expect(functions).toHaveLength(functionCount);
      for (const fn of functions) {
        const asset = join(
          assemblyOf.get(template) ?? '',
          `asset.${String((fn.Properties.Code as { S3Key: string }).S3Key).replace(/\.zip$/, '')}`,
        );
        const bundle = readFileSync(join(asset, 'index.mjs'), 'utf8');
        const sourceMap = JSON.parse(readFileSync(join(asset, 'index.mjs.map'), 'utf8'));
        expect(bundle.startsWith("import { createRequire as __createRequire } from 'node:module';")).toBe(
          true,
        );
        expect(bundle).toMatch(/export\s*\{[^}]*\bas handler\b[^}]*\}/);
        // Minified: long lines, no indentation left.
        expect(bundle.length / bundle.split('\n').length).toBeGreaterThan(1000);
        expect(sourceMap.sources.some((source: string) => source.includes('functions/'))).toBe(true);
      }
    }
  });

  it('retries a failed batch until it succeeds by default, so cdk.json parks no payment', () => {
    templates.ingestOpen.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      MaximumRetryAttempts: -1,
      MaximumRecordAgeInSeconds: Match.absent(), // Lambda's default: no maximum age
    });
    templates.existingVpc.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      MaximumRetryAttempts: 2,
    });
  });

  it('creates only the SQS and MSK API interface endpoints and the DynamoDB gateway: no STS or Lambda', () => {
    const services = Object.values(templates.ingestOpen.findResources('AWS::EC2::VPCEndpoint')).map(
      (endpoint) => JSON.stringify(endpoint.Properties.ServiceName),
    );
    expect(services).toHaveLength(3);
    expect(services.filter((name) => /\.(sqs|kafka|dynamodb)\b/.test(name))).toHaveLength(3);
  });

  it('keeps the mapping in provisioned poller mode in every set, so no Lambda or STS endpoint is needed', () => {
    for (const template of Object.values(templates)) {
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        ProvisionedPollerConfig: { MinimumPollers: 1, MaximumPollers: Match.anyValue() },
      });
    }
  });

  it('lets no security group send to an address range, except HTTPS inside an existing VPC', () => {
    for (const [name, template] of Object.entries(templates)) {
      const inline = Object.values(template.findResources('AWS::EC2::SecurityGroup')).flatMap(
        (group) => (group.Properties.SecurityGroupEgress ?? []) as Record<string, unknown>[],
      );
      const standalone = Object.values(template.findResources('AWS::EC2::SecurityGroupEgress')).map(
        (rule) => rule.Properties as Record<string, unknown>,
      );
      const ranges = [...inline, ...standalone]
        .filter((rule) => rule.CidrIp !== undefined && rule.CidrIp !== '255.255.255.255/32')
        .map((rule) => `${rule.CidrIp}:${rule.FromPort}`);
      expect(ranges, name).toEqual(name === 'existingVpc' ? [`${VPC_CIDR}:443`, `${VPC_CIDR}:443`] : []);
    }
  });

  it('builds MSK Serverless with three-way topics named after -c appName, the retention and namespace asked for', () => {
    const template = templates.serverless;
    template.resourceCountIs('AWS::MSK::Cluster', 0);
    template.resourceCountIs('AWS::MSK::ServerlessCluster', 1);
    template.hasResourceProperties('Custom::KafkaTopic', {
      TopicName: 'payments-sandbox',
      ReplicationFactor: 3,
    });
    template.hasResourceProperties('Custom::KafkaTopic', { TopicName: 'payments-sandbox-dead-letter' });
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', { TableName: 'payments-sandbox-ledger' });
    for (const group of Object.values(template.findResources('AWS::Logs::LogGroup'))) {
      expect(group.Properties.RetentionInDays).toBe(90);
    }
    expect(functionWith(template, /idempotent Kafka producer/).Environment).toMatchObject({
      Variables: { POWERTOOLS_METRICS_NAMESPACE: 'PaymentsSandbox' },
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: `POST ${collection}`,
      AuthorizationType: 'AWS_IAM',
    });
  });

  it('deploys into an existing VPC without endpoints of its own, with the cluster and mapping asked for', () => {
    const template = templates.existingVpc;
    template.resourceCountIs('AWS::EC2::VPC', 0);
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 0);
    template.hasResourceProperties('AWS::EC2::SecurityGroup', { VpcId: VPC_ID });
    template.hasResourceProperties('AWS::MSK::Cluster', {
      KafkaVersion: '3.9.x',
      NumberOfBrokerNodes: 6,
      BrokerNodeGroupInfo: Match.objectLike({
        InstanceType: 'kafka.t3.small',
        ClientSubnets: ['subnet-0a1234', 'subnet-0b1234', 'subnet-0c1234'],
      }),
    });
    template.hasResourceProperties('AWS::MSK::Topic', { TopicName: 'payments-v2', PartitionCount: 12 });
    template.hasResourceProperties('AWS::MSK::Topic', { TopicName: 'payments-v2.dead-letter' });
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', { TableName: 'payments-ledger-v2' });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      Topics: ['payments-v2'],
      AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'payments-v2-ledger' },
      BatchSize: 500,
      MaximumRetryAttempts: 2,
      ProvisionedPollerConfig: { MinimumPollers: 1, MaximumPollers: 6 },
    });
  });
});

describe('README cost table', () => {
  it('states the idle cost of every billed resource the default synth creates', () => {
    const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
    const section = readme.split('### What it costs idle')[1]?.split('\n#')[0] ?? '';
    const rows = section.split('\n').filter((line) => line.startsWith('| '));
    const interfaceEndpoints = Object.values(
      templates.ingestOpen.findResources('AWS::EC2::VPCEndpoint'),
    ).filter((endpoint) => endpoint.Properties.VpcEndpointType === 'Interface');
    const zones = templates.ingestOpen.findResources('AWS::EC2::Subnet');
    const billed: Record<string, RegExp> = {
      'AWS::MSK::Cluster': /brokers/,
      'AWS::MSK::ServerlessCluster': /MSK Serverless/,
      'AWS::Lambda::EventSourceMapping': /provisioned pollers/,
      'AWS::EC2::VPCEndpoint': /interface endpoints/,
      'AWS::DynamoDB::GlobalTable': /DynamoDB/,
      'AWS::Logs::LogGroup': /logs/,
      'AWS::CloudWatch::Alarm': /alarms/,
      'AWS::CloudWatch::Dashboard': /dashboard/,
    };
    for (const [type, row] of Object.entries(billed)) {
      const created = [templates.ingestOpen, templates.serverless].some(
        (template) => Object.keys(template.findResources(type)).length > 0,
      );
      expect(created, `${type} is created by a default or serverless synth`).toBe(true);
      expect(
        rows.some((line) => row.test(line)),
        `${type} has a row matching ${row}`,
      ).toBe(true);
    }
    // The endpoint row counts what the template creates: endpoints × zones.
    const endpointRow = rows.find((line) => line.includes('interface endpoints'));
    expect(endpointRow).toContain(`${interfaceEndpoints.length} × ${Object.keys(zones).length} AZ`);
  });
});
