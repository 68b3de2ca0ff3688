/**
 * Picks the group's protocol (assignor) the way Apache Kafka does (GroupMetadata.selectProtocol):
 * among the protocols every member supports, each member votes for the first one in its own
 * preference order, and the protocol with the most votes wins (ties: the earliest voted).
 */
export interface ProtocolPreferences {
  readonly protocols: readonly { readonly name: string }[];
}

/** Protocols every member supports, or an empty set when they share none. */
export function commonProtocols(members: readonly ProtocolPreferences[]): Set<string> {
  const [first, ...rest] = members;
  if (!first) return new Set();
  const shared = new Set(first.protocols.map((protocol) => protocol.name));
  for (const member of rest) {
    const names = new Set(member.protocols.map((protocol) => protocol.name));
    for (const name of shared) if (!names.has(name)) shared.delete(name);
  }
  return shared;
}

export function selectProtocol(members: readonly ProtocolPreferences[]): string | undefined {
  const candidates = commonProtocols(members);
  const votes = new Map<string, number>();
  for (const member of members) {
    const choice = member.protocols.find((protocol) => candidates.has(protocol.name));
    if (choice) votes.set(choice.name, (votes.get(choice.name) ?? 0) + 1);
  }
  let winner: string | undefined;
  let best = 0;
  for (const [name, count] of votes) {
    if (count > best) {
      winner = name;
      best = count;
    }
  }
  return winner;
}
