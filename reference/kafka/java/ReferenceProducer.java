import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Kafka's own idempotent producer (kafka-clients) as the reference for the broker's idempotence rules:
 * enable.idempotence=true, acks=all, five requests in flight. Sends COUNT records with KEYS keys; the value
 * of a record is its index among its key's records, so a reader can check order and duplicates per key.
 *
 * Usage: java -cp <kafka-clients jars>:<classes> ReferenceProducer BOOTSTRAP TOPIC COUNT KEYS
 * Prints "acknowledged N failed M" and exits 0 only when every record was acknowledged.
 */
public final class ReferenceProducer {
  public static void main(String[] args) throws Exception {
    if (args.length != 4) {
      System.err.println("usage: ReferenceProducer BOOTSTRAP TOPIC COUNT KEYS");
      System.exit(2);
    }
    String topic = args[1];
    int count = Integer.parseInt(args[2]);
    int keys = Integer.parseInt(args[3]);
    Properties config = new Properties();
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "5");
    config.put(ProducerConfig.LINGER_MS_CONFIG, "0");
    config.put(ProducerConfig.BATCH_SIZE_CONFIG, "1024");
    config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
    config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "120000");
    config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());

    AtomicInteger acknowledged = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    AtomicReference<Exception> firstFailure = new AtomicReference<>();
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(config)) {
      for (int index = 0; index < count; index++) {
        String key = "key-" + (index % keys);
        String value = Integer.toString(index / keys);
        producer.send(new ProducerRecord<>(topic, key, value), (metadata, error) -> {
          if (error == null) {
            acknowledged.incrementAndGet();
          } else {
            failed.incrementAndGet();
            firstFailure.compareAndSet(null, error);
          }
        });
      }
      producer.flush();
    }
    System.out.println("acknowledged " + acknowledged.get() + " failed " + failed.get());
    if (firstFailure.get() != null) firstFailure.get().printStackTrace();
    System.exit(failed.get() == 0 && acknowledged.get() == count ? 0 : 1);
  }
}
