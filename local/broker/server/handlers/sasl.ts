/** SaslHandshake and SaslAuthenticate: the connection's SASL session answers both. */
import type {
  SaslAuthenticateRequest,
  SaslAuthenticateResponse,
} from '../../protocol/apis/sasl-authenticate';
import type { SaslHandshakeRequest, SaslHandshakeResponse } from '../../protocol/apis/sasl-handshake';
import { type BrokerContext, CloseConnection, type RequestContext } from '../context';

const NO_SASL = new CloseConnection('SASL request on a listener without SASL authentication');

export function handleSaslHandshake(
  request: SaslHandshakeRequest,
  _broker: BrokerContext,
  context: RequestContext,
): SaslHandshakeResponse | CloseConnection {
  return context.sasl ? context.sasl.handshake(request) : NO_SASL;
}

export function handleSaslAuthenticate(
  request: SaslAuthenticateRequest,
  _broker: BrokerContext,
  context: RequestContext,
): SaslAuthenticateResponse | CloseConnection {
  return context.sasl ? context.sasl.authenticate(request) : NO_SASL;
}
