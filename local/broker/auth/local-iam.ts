/**
 * The local stand-in for IAM and STS: principals (roles) with their policy documents, and the access keys
 * that act as them, long-lived or issued with an expiry like STS credentials. The broker looks a token's
 * access key up here and checks every Kafka action against the principal's policy.
 */
import { randomBytes } from 'node:crypto';
import { Policy, type PolicyDocument } from './iam-policy';

/** `arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid>` and the ARNs MSK derives from it. */
export interface MskCluster {
  readonly arn: string;
  readonly region: string;
  readonly account: string;
  /** `<name>/<uuid>`: what topic, group and transactional-id ARNs carry after their type. */
  readonly path: string;
}

const CLUSTER_ARN = /^arn:(aws[a-z-]*):kafka:([a-z0-9-]+):(\d{12}):cluster\/([^/]+\/[^/]+)$/;

export function mskCluster(arn: string): MskCluster {
  const match = CLUSTER_ARN.exec(arn);
  if (!match) {
    throw new Error(
      `"${arn}" is not an MSK cluster ARN (arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid>)`,
    );
  }
  return { arn, region: match[2] as string, account: match[3] as string, path: match[4] as string };
}

/** MSK's resource ARNs (Amazon MSK developer guide, "Authorization policy resources"). */
export function resourceArn(
  cluster: MskCluster,
  type: 'topic' | 'group' | 'transactional-id',
  name: string,
): string {
  return cluster.arn.replace(/:cluster\/[^/]+\/[^/]+$/, `:${type}/${cluster.path}/${name}`);
}

export interface Principal {
  /** The role name, e.g. the function the policy belongs to. */
  readonly name: string;
  readonly arn: string;
  readonly policy: Policy;
}

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  /** When temporary credentials stop working. */
  readonly expiration?: Date;
}

interface KeyEntry {
  readonly principal: Principal;
  readonly credentials: Credentials;
}

export class LocalIam {
  readonly cluster: MskCluster;
  private readonly principals = new Map<string, Principal>();
  private readonly keys = new Map<string, KeyEntry>();

  /**
   * @param clusterArn the ARN MSK would give this cluster: policies name its resources through it
   * @param now the clock tokens and credentials are checked against (a test can set it ahead)
   */
  constructor(
    clusterArn: string,
    readonly now: () => number = Date.now,
  ) {
    this.cluster = mskCluster(clusterArn);
  }

  /** Adds (or replaces) a principal and its policy. */
  addPrincipal(name: string, policy: PolicyDocument): Principal {
    const principal: Principal = {
      name,
      arn: `arn:aws:iam::${this.cluster.account}:role/${name}`,
      policy: new Policy(policy),
    };
    this.principals.set(name, principal);
    return principal;
  }

  /**
   * Access keys acting as `name`: without `lifetimeMs` long-lived keys (an IAM user's), with it temporary
   * credentials with a session token that stop working after that long (what STS AssumeRole hands out).
   */
  issueCredentials(name: string, lifetimeMs?: number): Credentials {
    const principal = this.principals.get(name);
    if (!principal) throw new Error(`no local principal named "${name}"`);
    const temporary = lifetimeMs !== undefined;
    const credentials: Credentials = {
      accessKeyId: `${temporary ? 'ASIA' : 'AKIA'}${randomBytes(8).toString('hex').toUpperCase()}`,
      secretAccessKey: randomBytes(30).toString('base64'),
      ...(temporary
        ? { sessionToken: randomBytes(48).toString('base64'), expiration: new Date(this.now() + lifetimeMs) }
        : {}),
    };
    this.keys.set(credentials.accessKeyId, { principal, credentials });
    return credentials;
  }

  /** The principal and credentials behind an access key, if it exists. */
  lookUp(accessKeyId: string): KeyEntry | undefined {
    return this.keys.get(accessKeyId);
  }
}
