/**
 * One connection's SASL state: SaslHandshake (v1) then SaslAuthenticate with OAUTHBEARER carrying an MSK IAM
 * token (RFC 7628 client response `n,,\x01auth=Bearer <token>\x01\x01`). Until it succeeds only ApiVersions
 * and the SASL requests are served. The session lasts until the token (and the credentials it was signed
 * with) expire: SaslAuthenticate v1 tells the client so it can re-authenticate on the same connection
 * (KIP-368); a connection still on an expired session is closed, as MSK does.
 */
import { ApiKey } from '../protocol/api-keys';
import type { SaslAuthenticateRequest, SaslAuthenticateResponse } from '../protocol/apis/sasl-authenticate';
import type { SaslHandshakeRequest, SaslHandshakeResponse } from '../protocol/apis/sasl-handshake';
import { ErrorCode } from '../protocol/error-codes';
import type { BrokerLogger } from '../server/logger';
import { type Access, KafkaAction, type KafkaActionName } from './kafka-permissions';
import { type LocalIam, type Principal, resourceArn } from './local-iam';
import { TokenError, verifyMskIamToken } from './msk-iam-token';

export const SASL_MECHANISM = 'OAUTHBEARER';

type State = 'handshake' | 'authenticate' | 'authenticated' | 'reauthenticate' | 'failed';

export interface SaslSessionOptions {
  readonly iam: LocalIam;
  readonly logger: BrokerLogger;
  /** Called once when the session's credentials expire. */
  readonly onExpired: (reason: string) => void;
}

export class SaslSession {
  private state: State = 'handshake';
  private principal: Principal | undefined;
  private expiry: NodeJS.Timeout | undefined;
  private grants: Access | undefined;
  /** Why authentication failed: the connection is closed once the answer is sent. */
  failure: string | undefined;

  constructor(private readonly options: SaslSessionOptions) {}

  /** The authenticated principal's permissions; undefined before authentication. */
  get access(): Access | undefined {
    return this.grants;
  }

  /** Whether a request of this API may be served in the current state. */
  allows(apiKey: number): boolean {
    if (
      apiKey === ApiKey.ApiVersions ||
      apiKey === ApiKey.SaslHandshake ||
      apiKey === ApiKey.SaslAuthenticate
    ) {
      return true;
    }
    return this.state === 'authenticated' || this.state === 'reauthenticate';
  }

  handshake(request: SaslHandshakeRequest): SaslHandshakeResponse {
    const mechanisms = [SASL_MECHANISM];
    if (this.state !== 'handshake' && this.state !== 'authenticated') {
      return this.fail(
        `SaslHandshake received while ${this.state === 'failed' ? 'failed' : `in state ${this.state}`}`,
        {
          errorCode: ErrorCode.ILLEGAL_SASL_STATE,
          mechanisms,
        },
      );
    }
    if (request.mechanism !== SASL_MECHANISM) {
      return this.fail(`SASL mechanism ${request.mechanism} is not enabled (enabled: ${SASL_MECHANISM})`, {
        errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM,
        mechanisms,
      });
    }
    this.state = this.state === 'authenticated' ? 'reauthenticate' : 'authenticate';
    return { errorCode: ErrorCode.NONE, mechanisms };
  }

  authenticate(request: SaslAuthenticateRequest): SaslAuthenticateResponse {
    const refused = (errorCode: number, message: string): SaslAuthenticateResponse =>
      this.fail(message, {
        errorCode,
        errorMessage: message,
        authBytes: Buffer.alloc(0),
        sessionLifetimeMs: 0n,
      });
    if (this.state !== 'authenticate' && this.state !== 'reauthenticate') {
      return refused(ErrorCode.ILLEGAL_SASL_STATE, `SaslAuthenticate received before a SaslHandshake`);
    }
    const { iam } = this.options;
    const now = iam.now();
    let principal: Principal;
    let expiresAt: number;
    try {
      const token = bearerToken(request.authBytes);
      const verified = verifyMskIamToken(token, {
        region: iam.cluster.region,
        now,
        secretOf: (accessKeyId) => iam.lookUp(accessKeyId)?.credentials,
      });
      const entry = iam.lookUp(verified.accessKeyId);
      if (!entry) throw new TokenError(`the access key ${verified.accessKeyId} is not known to this broker`);
      const credentialsEnd = entry.credentials.expiration?.getTime() ?? Number.POSITIVE_INFINITY;
      if (now >= credentialsEnd) {
        throw new TokenError(
          `the credentials of ${verified.accessKeyId} expired at ${new Date(credentialsEnd).toISOString()}`,
        );
      }
      principal = entry.principal;
      expiresAt = Math.min(verified.expiresAt, credentialsEnd);
    } catch (error) {
      if (!(error instanceof TokenError)) throw error;
      return refused(ErrorCode.SASL_AUTHENTICATION_FAILED, `Authentication failed: ${error.message}`);
    }
    if (this.principal && this.principal.arn !== principal.arn) {
      return refused(
        ErrorCode.SASL_AUTHENTICATION_FAILED,
        `Re-authentication as ${principal.arn} refused: the connection is authenticated as ${this.principal.arn}`,
      );
    }
    const access = accessFor(principal, iam, this.options.logger);
    if (!access.may(KafkaAction.Connect, iam.cluster.arn)) {
      return refused(
        ErrorCode.SASL_AUTHENTICATION_FAILED,
        `Access denied: ${principal.arn} is not allowed ${KafkaAction.Connect} on ${iam.cluster.arn}`,
      );
    }
    this.principal = principal;
    this.grants = access;
    this.state = 'authenticated';
    this.expireAt(expiresAt, now);
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      authBytes: Buffer.alloc(0),
      sessionLifetimeMs: BigInt(expiresAt - now),
    };
  }

  /** Stops the expiry timer (the connection closed). */
  end(): void {
    clearTimeout(this.expiry);
  }

  private expireAt(expiresAt: number, now: number): void {
    clearTimeout(this.expiry);
    const principal = this.principal?.arn;
    this.expiry = setTimeout(
      () =>
        this.options.onExpired(`the session of ${principal} expired at ${new Date(expiresAt).toISOString()}`),
      expiresAt - now,
    );
    this.expiry.unref();
  }

  private fail<T>(reason: string, response: T): T {
    this.state = 'failed';
    this.failure = reason;
    this.end();
    return response;
  }
}

/** The token of an OAUTHBEARER initial client response (RFC 7628 section 3.1). */
function bearerToken(authBytes: Buffer): string {
  const message = authBytes.toString('utf8');
  const [gs2Header, ...pairs] = message.split('\u0001');
  if (!gs2Header?.startsWith('n,') && !gs2Header?.startsWith('y,')) {
    throw new TokenError('the OAUTHBEARER message does not start with a GS2 header ("n,,")');
  }
  const auth = pairs.find((pair) => pair.startsWith('auth='));
  const match = auth === undefined ? null : /^auth=Bearer (.+)$/i.exec(auth);
  if (!match) throw new TokenError('the OAUTHBEARER message has no "auth=Bearer <token>" value');
  return match[1] as string;
}

/** What the principal may do on this cluster; every refusal is logged with the action and the resource. */
export function accessFor(principal: Principal, iam: LocalIam, logger: BrokerLogger): Access {
  return {
    principalArn: principal.arn,
    clusterArn: iam.cluster.arn,
    topicArn: (topic) => resourceArn(iam.cluster, 'topic', topic),
    groupArn: (group) => resourceArn(iam.cluster, 'group', group),
    transactionalIdArn: (id) => resourceArn(iam.cluster, 'transactional-id', id),
    may: (action: KafkaActionName, resource: string, listing?: 'listing') => {
      const decision = principal.policy.evaluate(action, resource);
      if (decision === 'allow') return true;
      if (listing) return false;
      logger.warn('access denied', {
        principal: principal.arn,
        action,
        resource,
        reason:
          decision === 'explicit-deny' ? 'denied by a policy statement' : 'no policy statement allows it',
      });
      return false;
    },
  };
}
