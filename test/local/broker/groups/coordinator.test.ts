import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GroupCoordinator } from '../../../../local/broker/groups/coordinator';
import type { JoinGroupRequest } from '../../../../local/broker/protocol/apis/join-group';
import { ErrorCode } from '../../../../local/broker/protocol/error-codes';

const SESSION_MS = 10_000;
const REBALANCE_MS = 30_000;

function joinRequest(
  memberId: string,
  protocols: JoinGroupRequest['protocols'] = [{ name: 'range', metadata: Buffer.from('m') }],
): JoinGroupRequest {
  return {
    groupId: 'payments',
    sessionTimeoutMs: SESSION_MS,
    rebalanceTimeoutMs: REBALANCE_MS,
    memberId,
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols,
  };
}

const v5 = { version: 5, clientId: 'client', clientHost: '127.0.0.1' };
const v3 = { ...v5, version: 3 };

/** The KIP-394 two-step join of a v4+ client: get a member id, then join with it. */
async function joinNew(coordinator: GroupCoordinator, protocols?: JoinGroupRequest['protocols']) {
  const first = await coordinator.join(joinRequest('', protocols), v5);
  expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
  return { memberId: first.memberId, joined: coordinator.join(joinRequest(first.memberId, protocols), v5) };
}

describe('GroupCoordinator', () => {
  let coordinator: GroupCoordinator;

  beforeEach(() => {
    vi.useFakeTimers();
    // No initial delay: these cases are about what follows the first join (the delay has its own cases).
    coordinator = new GroupCoordinator({ initialRebalanceDelayMs: 0 });
  });

  afterEach(() => {
    coordinator.close();
    vi.useRealTimers();
  });

  it('asks a v4+ client for a member id first, then makes the only member leader of generation 1', async () => {
    const { memberId, joined } = await joinNew(coordinator);
    expect(memberId).toMatch(/^client-/);
    const response = await joined;
    expect(response).toMatchObject({
      errorCode: 0,
      generationId: 1,
      protocolName: 'range',
      leader: memberId,
      memberId,
    });
    expect(response.members.map((m) => m.memberId)).toEqual([memberId]);
    expect(coordinator.describe('payments').groupState).toBe('CompletingRebalance');
  });

  it('lets a v0-v3 client join without the member-id round trip', async () => {
    const response = await coordinator.join(joinRequest(''), v3);
    expect(response.errorCode).toBe(0);
    expect(response.memberId).not.toBe('');
  });

  it('becomes Stable when the leader syncs, and hands each member its own assignment', async () => {
    const leader = await (await joinNew(coordinator)).joined;
    const sync = await coordinator.sync({
      groupId: 'payments',
      generationId: 1,
      memberId: leader.memberId,
      groupInstanceId: null,
      assignments: [{ memberId: leader.memberId, assignment: Buffer.from('p0,p1') }],
    });
    expect(sync).toEqual({ errorCode: 0, assignment: Buffer.from('p0,p1') });
    expect(coordinator.describe('payments').groupState).toBe('Stable');
    expect(coordinator.heartbeat('payments', leader.memberId, null, 1)).toBe(0);
  });

  it('rebalances when a second member joins: the first learns it by heartbeat, both get generation 2', async () => {
    const first = await (await joinNew(coordinator)).joined;
    await coordinator.sync({
      groupId: 'payments',
      generationId: 1,
      memberId: first.memberId,
      groupInstanceId: null,
      assignments: [],
    });
    const second = await joinNew(coordinator);
    let secondDone = false;
    void second.joined.then(() => {
      secondDone = true;
    });
    await vi.advanceTimersByTimeAsync(1);
    expect(secondDone).toBe(false);
    expect(coordinator.heartbeat('payments', first.memberId, null, 1)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const firstRejoin = await coordinator.join(joinRequest(first.memberId), v5);
    const secondJoin = await second.joined;
    expect(firstRejoin.generationId).toBe(2);
    expect(secondJoin.generationId).toBe(2);
    // The leader stays leader and alone gets the members' metadata.
    expect(firstRejoin.leader).toBe(first.memberId);
    expect(secondJoin.leader).toBe(first.memberId);
    expect(firstRejoin.members).toHaveLength(2);
    expect(secondJoin.members).toHaveLength(0);
  });

  it('answers a follower sync only after the leader sync, and a stale generation with ILLEGAL_GENERATION', async () => {
    const a = await (await joinNew(coordinator)).joined;
    const b = await joinNew(coordinator);
    expect(coordinator.heartbeat('payments', a.memberId, null, 1)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    await coordinator.join(joinRequest(a.memberId), v5);
    const bJoin = await b.joined;
    const followerSync = coordinator.sync({
      groupId: 'payments',
      generationId: 2,
      memberId: bJoin.memberId,
      groupInstanceId: null,
      assignments: [],
    });
    expect(
      (
        await coordinator.sync({
          groupId: 'payments',
          generationId: 1,
          memberId: a.memberId,
          groupInstanceId: null,
          assignments: [],
        })
      ).errorCode,
    ).toBe(ErrorCode.ILLEGAL_GENERATION);
    await coordinator.sync({
      groupId: 'payments',
      generationId: 2,
      memberId: a.memberId,
      groupInstanceId: null,
      assignments: [
        { memberId: a.memberId, assignment: Buffer.from('A') },
        { memberId: bJoin.memberId, assignment: Buffer.from('B') },
      ],
    });
    expect(await followerSync).toEqual({ errorCode: 0, assignment: Buffer.from('B') });
  });

  it('evicts a member whose session expires, and the group rebalances to the one left', async () => {
    const a = await (await joinNew(coordinator)).joined;
    const b = await joinNew(coordinator);
    await coordinator.join(joinRequest(a.memberId), v5);
    const bJoin = await b.joined;
    const sync = (memberId: string) =>
      coordinator.sync({
        groupId: 'payments',
        generationId: 2,
        memberId,
        groupInstanceId: null,
        assignments: [],
      });
    const bSync = sync(bJoin.memberId);
    await sync(a.memberId);
    await bSync;
    // Only b keeps heart-beating: a expires after its session timeout.
    for (let t = 0; t < SESSION_MS + 1000; t += 1000) {
      await vi.advanceTimersByTimeAsync(1000);
      coordinator.heartbeat('payments', bJoin.memberId, null, 2);
    }
    expect(coordinator.heartbeat('payments', a.memberId, null, 2)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(coordinator.heartbeat('payments', bJoin.memberId, null, 2)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const rejoin = await coordinator.join(joinRequest(bJoin.memberId), v5);
    expect(rejoin).toMatchObject({ errorCode: 0, generationId: 3, leader: bJoin.memberId });
  });

  it('removes members that do not rejoin within the rebalance timeout', async () => {
    const a = await (await joinNew(coordinator)).joined;
    await coordinator.sync({
      groupId: 'payments',
      generationId: 1,
      memberId: a.memberId,
      groupInstanceId: null,
      assignments: [],
    });
    const b = await joinNew(coordinator);
    // a never rejoins (but keeps its session alive): the rebalance completes without it.
    const heartbeats = setInterval(() => coordinator.heartbeat('payments', a.memberId, null, 1), 1000);
    await vi.advanceTimersByTimeAsync(REBALANCE_MS + 1);
    clearInterval(heartbeats);
    const bJoin = await b.joined;
    expect(bJoin).toMatchObject({ errorCode: 0, generationId: 2, leader: b.memberId });
    expect(bJoin.members.map((m) => m.memberId)).toEqual([b.memberId]);
  });

  it('rebalances on LeaveGroup and becomes Empty when the last member leaves', async () => {
    const a = await (await joinNew(coordinator)).joined;
    await coordinator.sync({
      groupId: 'payments',
      generationId: 1,
      memberId: a.memberId,
      groupInstanceId: null,
      assignments: [],
    });
    expect(coordinator.leave('payments', [{ memberId: a.memberId, groupInstanceId: null }])).toEqual([0]);
    expect(coordinator.describe('payments')).toMatchObject({
      groupState: 'Empty',
      protocolType: 'consumer',
      members: [],
    });
    expect(coordinator.leave('payments', [{ memberId: 'nobody', groupInstanceId: null }])).toEqual([
      ErrorCode.UNKNOWN_MEMBER_ID,
    ]);
  });

  it('picks the protocol most members prefer among those all support', async () => {
    const both = [
      { name: 'roundrobin', metadata: Buffer.from('r') },
      { name: 'range', metadata: Buffer.from('g') },
    ];
    const a = await joinNew(coordinator, both);
    const aJoin = await a.joined;
    expect(aJoin.protocolName).toBe('roundrobin');
    await coordinator.sync({
      groupId: 'payments',
      generationId: 1,
      memberId: aJoin.memberId,
      groupInstanceId: null,
      assignments: [],
    });
    const b = await joinNew(coordinator, [{ name: 'range', metadata: Buffer.from('g') }]);
    const aRejoin = await coordinator.join(joinRequest(aJoin.memberId, both), v5);
    await b.joined;
    expect(aRejoin.protocolName).toBe('range');
    // The leader receives each member's metadata for the chosen protocol.
    expect(aRejoin.members.map((m) => m.metadata.toString())).toEqual(['g', 'g']);
  });

  it('refuses a member that shares no protocol with the group, and bad session timeouts', async () => {
    await (await joinNew(coordinator)).joined;
    const other = await coordinator.join(
      joinRequest('', [{ name: 'sticky', metadata: Buffer.alloc(0) }]),
      v5,
    );
    expect(other.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const tooShort = await coordinator.join(
      { ...joinRequest(''), groupId: 'other', sessionTimeoutMs: 100 },
      v5,
    );
    expect(tooShort.errorCode).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
  });

  it('accepts commits from the current generation and from simple (generation -1) clients of an empty group', async () => {
    expect(coordinator.validateCommit('standalone', '', null, -1)).toBe(0);
    const a = await (await joinNew(coordinator)).joined;
    expect(coordinator.validateCommit('payments', a.memberId, null, 1)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    await coordinator.sync({
      groupId: 'payments',
      generationId: 1,
      memberId: a.memberId,
      groupInstanceId: null,
      assignments: [],
    });
    expect(coordinator.validateCommit('payments', a.memberId, null, 1)).toBe(0);
    expect(coordinator.validateCommit('payments', a.memberId, null, 0)).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(coordinator.validateCommit('payments', 'stranger', null, 1)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });
});

describe('GroupCoordinator initial rebalance delay (group.initial.rebalance.delay.ms)', () => {
  let coordinator: GroupCoordinator;

  beforeEach(() => {
    vi.useFakeTimers();
    coordinator = new GroupCoordinator();
  });

  afterEach(() => {
    coordinator.close();
    vi.useRealTimers();
  });

  /** Resolves to the answer, or undefined while the join is still pending. */
  function watch<T>(pending: Promise<T>): () => T | undefined {
    let answer: T | undefined;
    void pending.then((value) => {
      answer = value;
    });
    return () => answer;
  }

  it("waits Kafka's 3000 ms by default before the first generation of an empty group", async () => {
    const only = watch((await joinNew(coordinator)).joined);
    await vi.advanceTimersByTimeAsync(2_999);
    expect(only()).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(only()?.generationId).toBe(1);
  });

  it('gives members that start together one generation, waiting again while new members arrive', async () => {
    const a = watch((await joinNew(coordinator)).joined);
    await vi.advanceTimersByTimeAsync(2_000);
    const b = watch((await joinNew(coordinator)).joined);
    // At 3000 ms a member arrived during the delay: Kafka's InitialDelayedJoin waits once more.
    await vi.advanceTimersByTimeAsync(1_500);
    expect(a()).toBeUndefined();
    await vi.advanceTimersByTimeAsync(2_500);
    expect(a()?.generationId).toBe(1);
    expect(b()?.generationId).toBe(1);
    expect(a()?.members.length ?? 0).toBe(2);
  });
});

describe('GroupCoordinator static membership (KIP-345)', () => {
  let coordinator: GroupCoordinator;

  beforeEach(() => {
    vi.useFakeTimers();
    // A short initial delay lets both members of `stableGroup` join generation 1.
    coordinator = new GroupCoordinator({ initialRebalanceDelayMs: 100 });
  });

  afterEach(() => {
    coordinator.close();
    vi.useRealTimers();
  });

  const staticJoin = (instanceId: string, memberId = '') => ({
    ...joinRequest(memberId),
    groupInstanceId: instanceId,
  });

  /** Two static members, a (leader) and b, in a Stable generation 1 with one partition each. */
  async function stableGroup() {
    const joiningA = coordinator.join(staticJoin('a'), v5);
    const joiningB = coordinator.join(staticJoin('b'), v5);
    await vi.advanceTimersByTimeAsync(200);
    const [a, b] = await Promise.all([joiningA, joiningB]);
    const sync = (memberId: string, instanceId: string) =>
      coordinator.sync({
        groupId: 'payments',
        generationId: 1,
        memberId,
        groupInstanceId: instanceId,
        assignments:
          memberId === a.leader
            ? [
                { memberId: a.memberId, assignment: Buffer.from('p0') },
                { memberId: b.memberId, assignment: Buffer.from('p1') },
              ]
            : [],
      });
    await Promise.all([sync(a.memberId, 'a'), sync(b.memberId, 'b')]);
    return { a, b };
  }

  it('lets a static member join without the member-id round trip, named after its instance id', async () => {
    const { a, b } = await stableGroup();
    expect(a.generationId).toBe(1);
    expect(a.memberId).toMatch(/^a-/);
    expect(b.memberId).toMatch(/^b-/);
    expect(
      coordinator
        .describe('payments')
        .members.map((m) => m.groupInstanceId)
        .sort(),
    ).toEqual(['a', 'b']);
  });

  it('gives a restarted static member its assignment back under a new member id, without a rebalance', async () => {
    const { a, b } = await stableGroup();
    // A restarted process of instance a joins with no member id, while its old session still runs.
    const rejoined = await coordinator.join(staticJoin('a'), v5);
    expect(rejoined).toMatchObject({ errorCode: 0, generationId: 1, leader: a.memberId, members: [] });
    expect(rejoined.memberId).not.toBe(a.memberId);
    const sync = await coordinator.sync({
      groupId: 'payments',
      generationId: 1,
      memberId: rejoined.memberId,
      groupInstanceId: 'a',
      assignments: [],
    });
    expect(sync).toEqual({ errorCode: 0, assignment: Buffer.from('p0') });
    // The other member sees no rebalance: same generation, Stable.
    expect(coordinator.heartbeat('payments', b.memberId, 'b', 1)).toBe(ErrorCode.NONE);
    expect(coordinator.describe('payments').groupState).toBe('Stable');
  });

  it('fences the old member id of an instance id that joined again (FENCED_INSTANCE_ID)', async () => {
    const { a } = await stableGroup();
    const rejoined = await coordinator.join(staticJoin('a'), v5);
    expect(coordinator.heartbeat('payments', a.memberId, 'a', 1)).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect(coordinator.validateCommit('payments', a.memberId, 'a', 1)).toBe(ErrorCode.FENCED_INSTANCE_ID);
    const sync = await coordinator.sync({
      groupId: 'payments',
      generationId: 1,
      memberId: a.memberId,
      groupInstanceId: 'a',
      assignments: [],
    });
    expect(sync.errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
    const join = await coordinator.join(staticJoin('a', a.memberId), v5);
    expect(join.errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect(coordinator.leave('payments', [{ memberId: a.memberId, groupInstanceId: 'a' }])).toEqual([
      ErrorCode.FENCED_INSTANCE_ID,
    ]);
    // The member that holds the instance id now is unaffected.
    expect(coordinator.heartbeat('payments', rejoined.memberId, 'a', 1)).toBe(ErrorCode.NONE);
  });

  it('rebalances when a static member session expires, and frees its instance id', async () => {
    const { b } = await stableGroup();
    const heartbeats = setInterval(() => coordinator.heartbeat('payments', b.memberId, 'b', 1), 1000);
    await vi.advanceTimersByTimeAsync(SESSION_MS + 1);
    clearInterval(heartbeats);
    expect(coordinator.heartbeat('payments', b.memberId, 'b', 1)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const rejoinedB = await coordinator.join(staticJoin('b', b.memberId), v5);
    expect(rejoinedB.generationId).toBe(2);
    expect(coordinator.describe('payments').members.map((m) => m.groupInstanceId)).toEqual(['b']);
  });

  it('lets a static member leave by its instance id alone (LeaveGroup v3)', async () => {
    const { b } = await stableGroup();
    expect(coordinator.leave('payments', [{ memberId: '', groupInstanceId: 'a' }])).toEqual([ErrorCode.NONE]);
    expect(coordinator.heartbeat('payments', b.memberId, 'b', 1)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    expect(coordinator.leave('payments', [{ memberId: '', groupInstanceId: 'a' }])).toEqual([
      ErrorCode.UNKNOWN_MEMBER_ID,
    ]);
  });
});
