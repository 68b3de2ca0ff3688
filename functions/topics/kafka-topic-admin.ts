import type { Admin } from 'kafkajs';
import { isUnknownTopic } from '../shared/kafka-errors';
import type { TopicAdmin } from './topic-lifecycle';

/** Wait this long for the controller to finish a topic change before kafkajs reports a timeout. */
const TOPIC_CHANGE_TIMEOUT_MS = 30_000;
/** How often Metadata is asked again while a finished change spreads to the brokers. */
const METADATA_POLL_MS = 100;
/** Answers in a row that must show the change: each may come from another broker (kafkajs picks one). */
const AGREEING_ANSWERS = 5;

/**
 * Polls until `visible` holds in AGREEING_ANSWERS answers in a row. Kafka applies a topic change at the
 * controller first and spreads it to the brokers' metadata caches afterwards, so the broker answering the
 * next request may not know it yet.
 */
async function untilVisible(change: string, visible: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + TOPIC_CHANGE_TIMEOUT_MS;
  let agreeing = 0;
  while (agreeing < AGREEING_ANSWERS) {
    agreeing = (await visible()) ? agreeing + 1 : 0;
    if (Date.now() > deadline) {
      throw new Error(`${change} was not visible in Metadata after ${TOPIC_CHANGE_TIMEOUT_MS} ms`);
    }
    if (agreeing < AGREEING_ANSWERS) await new Promise((resolve) => setTimeout(resolve, METADATA_POLL_MS));
  }
}

/** TopicAdmin over a connected kafkajs admin client (CreateTopics, CreatePartitions, DeleteTopics, Metadata). */
export function kafkaTopicAdmin(admin: Admin): TopicAdmin {
  async function partitionCount(topic: string): Promise<number | undefined> {
    // Metadata for a missing topic is an error in kafkajs, so ask for the topic list first.
    if (!(await admin.listTopics()).includes(topic)) return undefined;
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      return topics.find((metadata) => metadata.name === topic)?.partitions.length;
    } catch (error) {
      // Another broker answered, and it has not heard of the topic (or of its deletion) yet.
      if (isUnknownTopic(error)) return undefined;
      throw error;
    }
  }
  return {
    partitionCount,
    async createTopic(topic, partitions, replicationFactor) {
      await admin.createTopics({
        topics: [{ topic, numPartitions: partitions, replicationFactor }],
        // kafkajs's own wait fails when the broker it asks has not heard of the topic yet; poll instead.
        waitForLeaders: false,
        timeout: TOPIC_CHANGE_TIMEOUT_MS,
      });
      await untilVisible(`topic ${topic}`, async () => (await partitionCount(topic)) === partitions);
    },
    async addPartitions(topic, totalPartitions) {
      await admin.createPartitions({
        topicPartitions: [{ topic, count: totalPartitions }],
        timeout: TOPIC_CHANGE_TIMEOUT_MS,
      });
      await untilVisible(
        `${totalPartitions} partitions of ${topic}`,
        async () => (await partitionCount(topic)) === totalPartitions,
      );
    },
    async deleteTopic(topic) {
      await admin.deleteTopics({ topics: [topic], timeout: TOPIC_CHANGE_TIMEOUT_MS });
      await untilVisible(`deletion of ${topic}`, async () => (await partitionCount(topic)) === undefined);
    },
  };
}
