import { Aspects, type CfnResource, type IAspect, type Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';

/** Metadata key cfn-lint reads on a resource (cfn-lint README, "Metadata"). */
const CFN_LINT_METADATA = 'cfn-lint';

interface CfnLintMetadata {
  config: { ignore_checks: string[] };
  /** Why each ignored rule does not apply here; cfn-lint reads only `config`. */
  ignore_reasons: Record<string, string>;
}

/**
 * Tells cfn-lint to skip one rule on one resource, with the reason next to it in the template, as cdk-nag
 * acknowledgments are given per resource with a reason.
 */
export function acknowledgeCfnLintRule(resource: CfnResource, ruleId: string, reason: string): void {
  const current = resource.getMetadata(CFN_LINT_METADATA) as CfnLintMetadata | undefined;
  const metadata: CfnLintMetadata = {
    config: { ignore_checks: [...new Set([...(current?.config.ignore_checks ?? []), ruleId])] },
    ignore_reasons: { ...current?.ignore_reasons, [ruleId]: reason },
  };
  resource.addMetadata(CFN_LINT_METADATA, metadata);
}

/**
 * W3005 (redundant DependsOn) on every Lambda function: aws-cdk-lib's Function always adds DependsOn on its
 * execution role, which the Role GetAtt already implies. The duplicate changes nothing in deployment order.
 */
class RoleDependencyAcknowledgment implements IAspect {
  visit(node: IConstruct): void {
    if (node instanceof lambda.CfnFunction) {
      acknowledgeCfnLintRule(
        node,
        'W3005',
        "aws-cdk-lib's Function declares DependsOn on its execution role in addition to the Role GetAtt; " +
          'the duplicate dependency is harmless and comes from the library, not from this stack.',
      );
    }
  }
}

/** The cfn-lint acknowledgments that hold for every function of a stack. */
export function acknowledgeCfnLintFindings(stack: Stack): void {
  Aspects.of(stack).add(new RoleDependencyAcknowledgment());
}
