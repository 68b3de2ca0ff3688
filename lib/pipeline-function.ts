import { fileURLToPath } from 'node:url';
import { Duration, Validations } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

const projectRoot = fileURLToPath(new URL('..', import.meta.url));

/** Absolute path of a file under functions/, e.g. `functionEntry('ingest/handler.ts')`. */
export function functionEntry(pathUnderFunctions: string): string {
  return fileURLToPath(new URL(`../functions/${pathUnderFunctions}`, import.meta.url));
}

/** How every function is bundled, locally by esbuild (no Docker); the benchmarks build the same bundle. */
export const FUNCTION_BUNDLING = {
  forceDockerBundling: false,
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  target: 'node22',
  format: nodejs.OutputFormat.ESM,
  mainFields: ['module', 'main'],
  // kafkajs calls require() for Node built-ins; ESM output has no require unless the bundle makes one.
  banner:
    "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  // Bundle the AWS SDK too: the runtime's copy has its own version, and the IAM signer's credential
  // providers must match the clients this project locks and tests.
  externalModules: [],
} as const satisfies nodejs.BundlingOptions;

/**
 * A Lambda execution role that writes only to its own log group (instead of AWSLambdaBasicExecutionRole, whose
 * log permissions cover every log group of the account), plus `statements`. Inline in the role itself, so the
 * permissions exist before Lambda creates a function's network interfaces.
 */
export function executionRole(
  scope: Construct,
  id: string,
  description: string,
  logGroup: logs.ILogGroup,
  statements: iam.PolicyStatement[] = [],
): iam.Role {
  return new iam.Role(scope, id, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description,
    inlinePolicies: {
      runtime: new iam.PolicyDocument({
        statements: [
          new iam.PolicyStatement({
            actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            resources: [logGroup.logGroupArn],
          }),
          ...statements,
        ],
      }),
    },
  });
}

export interface PipelineFunctionProps {
  /** The handler module; it exports `handler`. */
  readonly entry: string;
  readonly description: string;
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly securityGroup: ec2.ISecurityGroup;
  readonly environment: Readonly<Record<string, string>>;

  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default - the account's unreserved concurrency */
  readonly reservedConcurrentExecutions?: number;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * A function of this stack: Node.js 22 on arm64 inside the VPC, JSON logs in its own log group with a
 * retention, bundled locally by esbuild (no Docker), and a role that starts with only what running in the
 * VPC and writing to that log group takes (instead of the AWS managed policies, whose log permissions
 * cover every log group of the account).
 */
export class PipelineFunction extends nodejs.NodejsFunction {
  constructor(scope: Construct, id: string, props: PipelineFunctionProps) {
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    });
    const role = executionRole(scope, `${id}Role`, `Execution role of ${id}`, logGroup, [
      new iam.PolicyStatement({
        // What AWSLambdaVPCAccessExecutionRole grants: Lambda manages the function's network interfaces.
        actions: [
          'ec2:CreateNetworkInterface',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeSubnets',
          'ec2:DeleteNetworkInterface',
          'ec2:AssignPrivateIpAddresses',
          'ec2:UnassignPrivateIpAddresses',
        ],
        resources: ['*'],
      }),
    ]);
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Lambda creates and deletes the network interfaces of a VPC function under this role; the EC2 Describe ' +
        'actions have no resource-level permissions and the interface ids are not known before they exist ' +
        '(Lambda developer guide, "Giving Lambda functions access to resources in an Amazon VPC").',
    });

    super(scope, id, {
      entry: props.entry,
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      timeout: props.timeout ?? Duration.seconds(30),
      memorySize: props.memorySize ?? 512,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      role,
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      securityGroups: [props.securityGroup],
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: { NODE_OPTIONS: '--enable-source-maps', ...props.environment },
      projectRoot,
      depsLockFilePath: fileURLToPath(new URL('../package-lock.json', import.meta.url)),
      bundling: FUNCTION_BUNDLING,
    });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'The functions target nodejs22.x on purpose: the bundles are built for node22 and the project is ' +
        'developed and tested on that line; moving to a newer runtime is a deliberate, tested upgrade.',
    });
  }
}
