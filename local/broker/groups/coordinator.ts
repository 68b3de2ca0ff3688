/**
 * The group coordinator: the consumer-group membership protocol of Apache Kafka's
 * GroupCoordinator (KIP-62 rebalance timeouts, KIP-394 member id required), for one broker.
 *
 * States (kafka.coordinator.group.GroupState):
 *   Empty ──join──▶ PreparingRebalance ──all members joined / rebalance timeout──▶ CompletingRebalance
 *   CompletingRebalance ──leader's SyncGroup──▶ Stable
 *   Stable / CompletingRebalance ──join of a new or changed member, leave, session expiry──▶ PreparingRebalance
 *   PreparingRebalance ──no member left──▶ Empty
 *
 * Join and sync requests resolve when the rebalance reaches the point Kafka would answer them, so a
 * client's JoinGroup stays pending until every known member has rejoined, as with Kafka.
 *
 * Static membership (KIP-345): a member that joins with a group.instance.id keeps its place while its
 * session lasts. When the same instance id joins again with no member id (a restarted process), it takes
 * over the old member's place and assignment under a new member id without a rebalance, and the old
 * member id is fenced: its heartbeats, syncs, commits and joins get FENCED_INSTANCE_ID.
 */
import { randomUUID } from 'node:crypto';
import type { DescribedGroup } from '../protocol/apis/describe-groups';
import type { GroupProtocol, JoinGroupRequest, JoinGroupResponse } from '../protocol/apis/join-group';
import type { LeavingMember } from '../protocol/apis/leave-group';
import type { SyncGroupRequest, SyncGroupResponse } from '../protocol/apis/sync-group';
import { ErrorCode } from '../protocol/error-codes';
import { commonProtocols, selectProtocol } from './protocol-selection';

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable';

export interface CoordinatorOptions {
  /** group.min.session.timeout.ms; Kafka's default is 6000. */
  readonly minSessionTimeoutMs?: number;
  /** group.max.session.timeout.ms; Kafka's default is 1800000. */
  readonly maxSessionTimeoutMs?: number;
  /**
   * group.initial.rebalance.delay.ms: how long the first rebalance of an empty group waits for more
   * members, so consumers starting together share one generation. @default 3000 (Kafka's and MSK's)
   */
  readonly initialRebalanceDelayMs?: number;
}

export interface JoinContext {
  readonly version: number;
  readonly clientId: string;
  readonly clientHost: string;
}

interface Member {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocols: readonly GroupProtocol[];
  assignment: Buffer;
  awaitingJoin: ((response: JoinGroupResponse) => void) | undefined;
  awaitingSync: ((response: SyncGroupResponse) => void) | undefined;
  sessionTimer: NodeJS.Timeout | undefined;
}

interface Group {
  readonly groupId: string;
  state: GroupState;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leaderId: string | null;
  readonly members: Map<string, Member>;
  /** Member ids handed out with MEMBER_ID_REQUIRED that have not joined yet (KIP-394). */
  readonly pendingMembers: Map<string, NodeJS.Timeout>;
  joinTimer: NodeJS.Timeout | undefined;
  /** The first rebalance after Empty waits the initial delay even when everyone has joined. */
  delayingInitialJoin: boolean;
  /** A member joined during the current initial delay, which then waits once more. */
  newMemberAdded: boolean;
  /** group.instance.id → the member id that currently holds it (KIP-345). */
  readonly staticMembers: Map<string, string>;
}

/** Kafka's and MSK's group.initial.rebalance.delay.ms. */
export const DEFAULT_INITIAL_REBALANCE_DELAY_MS = 3000;

const EMPTY = Buffer.alloc(0);
const MAX_TIMER_MS = 2_147_483_647;

function joinError(errorCode: number, memberId = ''): JoinGroupResponse {
  return { errorCode, generationId: -1, protocolName: '', leader: '', memberId, members: [] };
}

function syncError(errorCode: number): SyncGroupResponse {
  return { errorCode, assignment: EMPTY };
}

/** Timers take 0 to 2^31-1 ms; rebalance timeouts come from clients unchecked. */
function timerDelay(ms: number): number {
  return Math.min(Math.max(ms, 0), MAX_TIMER_MS);
}

function sameProtocols(a: readonly GroupProtocol[], b: readonly GroupProtocol[]): boolean {
  return (
    a.length === b.length &&
    a.every((protocol, i) => protocol.name === b[i]?.name && protocol.metadata.equals(b[i].metadata))
  );
}

export class GroupCoordinator {
  private readonly groups = new Map<string, Group>();
  private readonly minSessionTimeoutMs: number;
  private readonly maxSessionTimeoutMs: number;
  private readonly initialRebalanceDelayMs: number;

  constructor(options: CoordinatorOptions = {}) {
    this.minSessionTimeoutMs = options.minSessionTimeoutMs ?? 6000;
    this.maxSessionTimeoutMs = options.maxSessionTimeoutMs ?? 1_800_000;
    this.initialRebalanceDelayMs = options.initialRebalanceDelayMs ?? DEFAULT_INITIAL_REBALANCE_DELAY_MS;
  }

  join(request: JoinGroupRequest, context: JoinContext): Promise<JoinGroupResponse> {
    if (request.groupId === '')
      return Promise.resolve(joinError(ErrorCode.INVALID_GROUP_ID, request.memberId));
    if (
      request.sessionTimeoutMs < this.minSessionTimeoutMs ||
      request.sessionTimeoutMs > this.maxSessionTimeoutMs
    ) {
      return Promise.resolve(joinError(ErrorCode.INVALID_SESSION_TIMEOUT, request.memberId));
    }
    const group = this.groups.get(request.groupId) ?? this.createGroup(request.groupId);
    if (!this.acceptsProtocols(group, request)) {
      return Promise.resolve(joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, request.memberId));
    }
    const instanceId = request.groupInstanceId;
    if (request.memberId === '') {
      // Kafka names static members after their instance id, dynamic ones after their client id.
      const memberId = `${instanceId ?? (context.clientId || 'member')}-${randomUUID()}`;
      if (instanceId !== null) {
        const previous = group.members.get(group.staticMembers.get(instanceId) ?? '');
        if (previous) return this.replaceStaticMember(group, previous, memberId, request, context);
        return this.addMemberAndRebalance(group, memberId, request, context);
      }
      // KIP-394: from v4 a new dynamic member first gets its id and must join again with it, so that a
      // client that times out and retries does not leave an orphan member behind.
      if (context.version >= 4) {
        this.addPendingMember(group, memberId, request.sessionTimeoutMs);
        return Promise.resolve(joinError(ErrorCode.MEMBER_ID_REQUIRED, memberId));
      }
      return this.addMemberAndRebalance(group, memberId, request, context);
    }
    const pendingTimer = group.pendingMembers.get(request.memberId);
    if (pendingTimer) {
      clearTimeout(pendingTimer);
      group.pendingMembers.delete(request.memberId);
      return this.addMemberAndRebalance(group, request.memberId, request, context);
    }
    const memberError = this.memberError(group, request.memberId, instanceId);
    const member = group.members.get(request.memberId);
    if (memberError !== ErrorCode.NONE || !member) {
      return Promise.resolve(joinError(memberError || ErrorCode.UNKNOWN_MEMBER_ID, request.memberId));
    }
    const unchanged = sameProtocols(member.protocols, request.protocols);
    if (
      unchanged &&
      (group.state === 'CompletingRebalance' ||
        (group.state === 'Stable' && member.memberId !== group.leaderId))
    ) {
      // A follower rejoining with the same metadata gets the current generation back, so it can sync.
      this.restartSession(group, member);
      return Promise.resolve(this.joinResponse(group, member));
    }
    return this.updateMemberAndRebalance(group, member, request);
  }

  sync(request: SyncGroupRequest): Promise<SyncGroupResponse> {
    const fail = (errorCode: number) => Promise.resolve(syncError(errorCode));
    const group = this.groups.get(request.groupId);
    const memberError = this.memberError(group, request.memberId, request.groupInstanceId);
    const member = group?.members.get(request.memberId);
    if (memberError !== ErrorCode.NONE || !group || !member) return fail(memberError);
    if (request.generationId !== group.generationId) return fail(ErrorCode.ILLEGAL_GENERATION);
    this.restartSession(group, member);
    switch (group.state) {
      case 'Empty':
        return fail(ErrorCode.UNKNOWN_MEMBER_ID);
      case 'PreparingRebalance':
        return fail(ErrorCode.REBALANCE_IN_PROGRESS);
      case 'Stable':
        return Promise.resolve({ errorCode: ErrorCode.NONE, assignment: member.assignment });
      case 'CompletingRebalance':
        return new Promise((resolve) => {
          member.awaitingSync?.(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
          member.awaitingSync = resolve;
          if (member.memberId === group.leaderId) this.completeSync(group, request.assignments);
        });
    }
  }

  heartbeat(groupId: string, memberId: string, groupInstanceId: string | null, generationId: number): number {
    const group = this.groups.get(groupId);
    const memberError = this.memberError(group, memberId, groupInstanceId);
    const member = group?.members.get(memberId);
    if (memberError !== ErrorCode.NONE || !group || !member) return memberError;
    if (generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    this.restartSession(group, member);
    return group.state === 'PreparingRebalance' ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.NONE;
  }

  /** One error code per leaving member, in request order. */
  leave(groupId: string, members: readonly LeavingMember[]): number[] {
    const group = this.groups.get(groupId);
    return members.map((leaving) => {
      if (!group) return ErrorCode.UNKNOWN_MEMBER_ID;
      // v3+: a static member may leave by its instance id alone (Kafka's removeMembersFromGroup).
      const memberId =
        leaving.memberId === '' && leaving.groupInstanceId !== null
          ? (group.staticMembers.get(leaving.groupInstanceId) ?? '')
          : leaving.memberId;
      const memberError = this.memberError(group, memberId, leaving.groupInstanceId);
      if (memberError === ErrorCode.FENCED_INSTANCE_ID) return memberError;
      const pendingTimer = group.pendingMembers.get(memberId);
      if (pendingTimer) {
        clearTimeout(pendingTimer);
        group.pendingMembers.delete(memberId);
        this.checkJoinComplete(group);
        return ErrorCode.NONE;
      }
      const member = group.members.get(memberId);
      if (!member) return ErrorCode.UNKNOWN_MEMBER_ID;
      this.removeMember(group, member);
      return ErrorCode.NONE;
    });
  }

  /** Whether an OffsetCommit from this member and generation may be stored (Kafka's doCommitOffsets). */
  validateCommit(
    groupId: string,
    memberId: string,
    groupInstanceId: string | null,
    generationId: number,
  ): number {
    const group = this.groups.get(groupId);
    // Negative generation: a client that only stores offsets, without joining (a "simple" group).
    if (generationId < 0 && (!group || group.state === 'Empty')) return ErrorCode.NONE;
    const memberError = this.memberError(group, memberId, groupInstanceId);
    const member = group?.members.get(memberId);
    if (memberError !== ErrorCode.NONE || !group || !member) return memberError;
    if (generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    if (group.state === 'CompletingRebalance') return ErrorCode.REBALANCE_IN_PROGRESS;
    this.restartSession(group, member);
    return ErrorCode.NONE;
  }

  describe(groupId: string): DescribedGroup {
    const group = this.groups.get(groupId);
    if (!group) {
      return { errorCode: 0, groupId, groupState: 'Dead', protocolType: '', protocolData: '', members: [] };
    }
    const stable = group.state === 'Stable';
    return {
      errorCode: ErrorCode.NONE,
      groupId,
      groupState: group.state,
      protocolType: group.protocolType ?? '',
      protocolData: stable ? (group.protocolName ?? '') : '',
      members: [...group.members.values()].map((member) => ({
        memberId: member.memberId,
        groupInstanceId: member.groupInstanceId,
        clientId: member.clientId,
        clientHost: member.clientHost,
        memberMetadata: stable ? this.metadataFor(member, group.protocolName) : EMPTY,
        memberAssignment: stable ? member.assignment : EMPTY,
      })),
    };
  }

  list(): { groupId: string; protocolType: string }[] {
    return [...this.groups.values()].map((group) => ({
      groupId: group.groupId,
      protocolType: group.protocolType ?? '',
    }));
  }

  /** Stops every timer; pending joins and syncs are answered with COORDINATOR_NOT_AVAILABLE. */
  close(): void {
    for (const group of this.groups.values()) {
      clearTimeout(group.joinTimer);
      for (const timer of group.pendingMembers.values()) clearTimeout(timer);
      for (const member of group.members.values()) {
        clearTimeout(member.sessionTimer);
        member.awaitingJoin?.(joinError(ErrorCode.COORDINATOR_NOT_AVAILABLE, member.memberId));
        member.awaitingSync?.(syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
      }
    }
    this.groups.clear();
  }

  private createGroup(groupId: string): Group {
    const group: Group = {
      groupId,
      state: 'Empty',
      generationId: 0,
      protocolType: null,
      protocolName: null,
      leaderId: null,
      members: new Map(),
      pendingMembers: new Map(),
      joinTimer: undefined,
      delayingInitialJoin: false,
      newMemberAdded: false,
      staticMembers: new Map(),
    };
    this.groups.set(groupId, group);
    return group;
  }

  /**
   * FENCED_INSTANCE_ID when another member id holds the instance id (Kafka checks this first),
   * UNKNOWN_MEMBER_ID when the member is not in the group, NONE otherwise.
   */
  private memberError(group: Group | undefined, memberId: string, groupInstanceId: string | null): number {
    if (group && groupInstanceId !== null) {
      const holder = group.staticMembers.get(groupInstanceId);
      if (holder !== undefined && holder !== memberId) return ErrorCode.FENCED_INSTANCE_ID;
    }
    return group?.members.has(memberId) ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID;
  }

  /**
   * A known instance id joined again without a member id: the new member id takes the old one's place
   * and assignment (Kafka's updateStaticMemberAndRebalance). In a Stable group whose protocol would not
   * change there is no rebalance: the join is answered with the current generation, and with the old
   * leader id, so that a returning leader does not compute an assignment nobody would receive.
   */
  private replaceStaticMember(
    group: Group,
    previous: Member,
    memberId: string,
    request: JoinGroupRequest,
    context: JoinContext,
  ): Promise<JoinGroupResponse> {
    const currentLeader = group.leaderId;
    clearTimeout(previous.sessionTimer);
    previous.awaitingJoin?.(joinError(ErrorCode.FENCED_INSTANCE_ID, previous.memberId));
    previous.awaitingSync?.(syncError(ErrorCode.FENCED_INSTANCE_ID));
    const member: Member = {
      ...previous,
      memberId,
      clientId: context.clientId,
      clientHost: context.clientHost,
      awaitingJoin: undefined,
      awaitingSync: undefined,
      sessionTimer: undefined,
    };
    group.members.delete(previous.memberId);
    group.members.set(memberId, member);
    group.staticMembers.set(request.groupInstanceId ?? '', memberId);
    if (group.leaderId === previous.memberId) group.leaderId = memberId;
    const keepsProtocol =
      group.state === 'Stable' &&
      selectProtocol([...group.members.values()].map((m) => (m === member ? request : m))) ===
        group.protocolName;
    if (!keepsProtocol) return this.updateMemberAndRebalance(group, member, request);
    member.protocols = request.protocols;
    member.sessionTimeoutMs = request.sessionTimeoutMs;
    member.rebalanceTimeoutMs = request.rebalanceTimeoutMs;
    this.restartSession(group, member);
    return Promise.resolve({
      ...this.joinResponse(group, member),
      leader: currentLeader ?? '',
      members: [],
    });
  }

  private acceptsProtocols(group: Group, request: JoinGroupRequest): boolean {
    if (request.protocolType === '' || request.protocols.length === 0) return false;
    if (group.members.size === 0) return true;
    if (group.protocolType !== request.protocolType) return false;
    const others = [...group.members.values()].filter((member) => member.memberId !== request.memberId);
    return commonProtocols([...others, request]).size > 0;
  }

  private addPendingMember(group: Group, memberId: string, sessionTimeoutMs: number): void {
    const timer = setTimeout(() => {
      group.pendingMembers.delete(memberId);
      this.checkJoinComplete(group);
    }, sessionTimeoutMs);
    timer.unref();
    group.pendingMembers.set(memberId, timer);
  }

  private addMemberAndRebalance(
    group: Group,
    memberId: string,
    request: JoinGroupRequest,
    context: JoinContext,
  ): Promise<JoinGroupResponse> {
    return new Promise((resolve) => {
      const member: Member = {
        memberId,
        groupInstanceId: request.groupInstanceId,
        clientId: context.clientId,
        clientHost: context.clientHost,
        sessionTimeoutMs: request.sessionTimeoutMs,
        rebalanceTimeoutMs: request.rebalanceTimeoutMs,
        protocols: request.protocols,
        assignment: EMPTY,
        awaitingJoin: resolve,
        awaitingSync: undefined,
        sessionTimer: undefined,
      };
      if (group.members.size === 0) group.protocolType = request.protocolType;
      group.members.set(memberId, member);
      if (request.groupInstanceId !== null) group.staticMembers.set(request.groupInstanceId, memberId);
      group.newMemberAdded = true;
      this.prepareRebalance(group);
      this.checkJoinComplete(group);
    });
  }

  private updateMemberAndRebalance(
    group: Group,
    member: Member,
    request: JoinGroupRequest,
  ): Promise<JoinGroupResponse> {
    return new Promise((resolve) => {
      member.protocols = request.protocols;
      member.sessionTimeoutMs = request.sessionTimeoutMs;
      member.rebalanceTimeoutMs = request.rebalanceTimeoutMs;
      // A second JoinGroup from the same member replaces the first, which gets told to retry.
      member.awaitingJoin?.(joinError(ErrorCode.REBALANCE_IN_PROGRESS, member.memberId));
      member.awaitingJoin = resolve;
      // While it waits for the rebalance, a member needs no heartbeat (Kafka's join purgatory).
      clearTimeout(member.sessionTimer);
      this.prepareRebalance(group);
      this.checkJoinComplete(group);
    });
  }

  private prepareRebalance(group: Group): void {
    if (group.state === 'PreparingRebalance') return;
    if (group.state === 'CompletingRebalance') {
      for (const member of group.members.values()) {
        member.awaitingSync?.(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
        member.awaitingSync = undefined;
      }
    }
    const wasEmpty = group.state === 'Empty';
    group.state = 'PreparingRebalance';
    for (const member of group.members.values()) if (member.awaitingJoin) clearTimeout(member.sessionTimer);
    clearTimeout(group.joinTimer);
    let rebalanceTimeoutMs = 0;
    for (const member of group.members.values()) {
      rebalanceTimeoutMs = Math.max(rebalanceTimeoutMs, member.rebalanceTimeoutMs);
    }
    if (wasEmpty && this.initialRebalanceDelayMs > 0) {
      // Kafka's InitialDelayedJoin: wait the initial delay, and again while new members keep coming,
      // up to the rebalance timeout in all.
      group.delayingInitialJoin = true;
      group.newMemberAdded = false;
      this.delayInitialJoin(
        group,
        this.initialRebalanceDelayMs,
        Math.max(rebalanceTimeoutMs - this.initialRebalanceDelayMs, 0),
      );
      return;
    }
    // Members get up to their rebalance timeout to rejoin.
    group.delayingInitialJoin = false;
    group.joinTimer = setTimeout(() => this.completeJoin(group), timerDelay(rebalanceTimeoutMs));
    group.joinTimer.unref();
  }

  private delayInitialJoin(group: Group, delayMs: number, remainingMs: number): void {
    group.joinTimer = setTimeout(() => {
      if (group.newMemberAdded && remainingMs > 0) {
        group.newMemberAdded = false;
        const next = Math.min(delayMs, remainingMs);
        this.delayInitialJoin(group, next, remainingMs - next);
        return;
      }
      this.completeJoin(group);
    }, timerDelay(delayMs));
    group.joinTimer.unref();
  }

  private checkJoinComplete(group: Group): void {
    if (group.state !== 'PreparingRebalance' || group.pendingMembers.size > 0) return;
    for (const member of group.members.values()) if (!member.awaitingJoin) return;
    // The initial delay of an empty group still runs: more members may come.
    if (group.delayingInitialJoin) return;
    this.completeJoin(group);
  }

  private completeJoin(group: Group): void {
    if (group.state !== 'PreparingRebalance') return;
    clearTimeout(group.joinTimer);
    group.joinTimer = undefined;
    group.delayingInitialJoin = false;
    // Members that did not rejoin within the rebalance timeout leave the group (Kafka: onCompleteJoin).
    for (const member of [...group.members.values()]) {
      if (!member.awaitingJoin) {
        clearTimeout(member.sessionTimer);
        this.forget(group, member);
      }
    }
    group.generationId += 1;
    if (group.members.size === 0) {
      group.state = 'Empty';
      group.protocolName = null;
      group.leaderId = null;
      return;
    }
    const members = [...group.members.values()];
    group.protocolName = selectProtocol(members) ?? null;
    if (!group.leaderId || !group.members.has(group.leaderId)) group.leaderId = members[0]?.memberId ?? null;
    group.state = 'CompletingRebalance';
    for (const member of members) {
      const respond = member.awaitingJoin;
      member.awaitingJoin = undefined;
      member.assignment = EMPTY;
      this.restartSession(group, member);
      respond?.(this.joinResponse(group, member));
    }
  }

  private joinResponse(group: Group, member: Member): JoinGroupResponse {
    const isLeader = member.memberId === group.leaderId;
    return {
      errorCode: ErrorCode.NONE,
      generationId: group.generationId,
      protocolName: group.protocolName ?? '',
      leader: group.leaderId ?? '',
      memberId: member.memberId,
      // Only the leader gets the members and their metadata, to compute the assignment.
      members: isLeader
        ? [...group.members.values()].map((other) => ({
            memberId: other.memberId,
            groupInstanceId: other.groupInstanceId,
            metadata: this.metadataFor(other, group.protocolName),
          }))
        : [],
    };
  }

  private metadataFor(member: Member, protocolName: string | null): Buffer {
    return member.protocols.find((protocol) => protocol.name === protocolName)?.metadata ?? EMPTY;
  }

  private completeSync(group: Group, assignments: SyncGroupRequest['assignments']): void {
    const byMember = new Map(assignments.map((entry) => [entry.memberId, entry.assignment]));
    group.state = 'Stable';
    for (const member of group.members.values()) {
      member.assignment = byMember.get(member.memberId) ?? EMPTY;
      const respond = member.awaitingSync;
      member.awaitingSync = undefined;
      respond?.({ errorCode: ErrorCode.NONE, assignment: member.assignment });
    }
  }

  private restartSession(group: Group, member: Member): void {
    clearTimeout(member.sessionTimer);
    member.sessionTimer = setTimeout(() => {
      if (group.members.get(member.memberId) === member && !member.awaitingJoin)
        this.removeMember(group, member);
    }, member.sessionTimeoutMs);
    member.sessionTimer.unref();
  }

  /** Takes the member out of the group, and its instance id with it when it still holds it. */
  private forget(group: Group, member: Member): void {
    group.members.delete(member.memberId);
    if (
      member.groupInstanceId !== null &&
      group.staticMembers.get(member.groupInstanceId) === member.memberId
    ) {
      group.staticMembers.delete(member.groupInstanceId);
    }
  }

  private removeMember(group: Group, member: Member): void {
    clearTimeout(member.sessionTimer);
    this.forget(group, member);
    member.awaitingJoin?.(joinError(ErrorCode.UNKNOWN_MEMBER_ID, member.memberId));
    member.awaitingSync?.(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    member.awaitingJoin = undefined;
    member.awaitingSync = undefined;
    if (group.state === 'Stable' || group.state === 'CompletingRebalance') this.prepareRebalance(group);
    this.checkJoinComplete(group);
  }
}
