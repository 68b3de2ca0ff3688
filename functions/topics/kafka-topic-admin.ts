import type { Admin } from 'kafkajs';
import type { TopicAdmin } from './topic-lifecycle';

/** Wait this long for the controller to finish a topic change before kafkajs reports a timeout. */
const TOPIC_CHANGE_TIMEOUT_MS = 30_000;

/** TopicAdmin over a connected kafkajs admin client (CreateTopics, CreatePartitions, DeleteTopics, Metadata). */
export function kafkaTopicAdmin(admin: Admin): TopicAdmin {
  return {
    async partitionCount(topic) {
      // Metadata for a missing topic is an error in kafkajs, so ask for the topic list first.
      if (!(await admin.listTopics()).includes(topic)) return undefined;
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      return topics.find((metadata) => metadata.name === topic)?.partitions.length;
    },
    async createTopic(topic, partitions, replicationFactor) {
      await admin.createTopics({
        topics: [{ topic, numPartitions: partitions, replicationFactor }],
        waitForLeaders: true,
        timeout: TOPIC_CHANGE_TIMEOUT_MS,
      });
    },
    async addPartitions(topic, totalPartitions) {
      await admin.createPartitions({
        topicPartitions: [{ topic, count: totalPartitions }],
        timeout: TOPIC_CHANGE_TIMEOUT_MS,
      });
    },
    async deleteTopic(topic) {
      await admin.deleteTopics({ topics: [topic], timeout: TOPIC_CHANGE_TIMEOUT_MS });
    },
  };
}
