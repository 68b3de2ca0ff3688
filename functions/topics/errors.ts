/** Errors of the topic custom resource. Each has a stable `code`; CloudFormation shows the message. */

/** The resource properties CloudFormation sent are not a topic this resource can manage. */
export class TopicPropertiesError extends Error {
  readonly code = 'TOPIC_PROPERTIES_INVALID';
  constructor(
    readonly property: string,
    message: string,
  ) {
    super(`${property}: ${message}`);
    this.name = 'TopicPropertiesError';
  }
}

/** The change asks Kafka for something it cannot do, such as removing partitions. */
export class TopicChangeError extends Error {
  readonly code = 'TOPIC_CHANGE_UNSUPPORTED';
  constructor(message: string) {
    super(message);
    this.name = 'TopicChangeError';
  }
}
