package dev.rredcot.pipelines;

import dev.rredcot.schemas.Topics;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** Where the credit job reads and writes. */
public interface KafkaOptions extends PipelineOptions {
  @Description("Kafka bootstrap servers, host:port[,host:port...].")
  @Default.String("127.0.0.1:9092")
  String getBootstrapServers();

  void setBootstrapServers(String value);

  @Description("Topic of Rollout records (key: group id).")
  @Default.String(Topics.ROLLOUTS)
  String getInputTopic();

  void setInputTopic(String value);

  @Description("Topic the CreditedRollout records are written to (key: group id).")
  @Default.String(Topics.CREDITED_ROLLOUTS)
  String getOutputTopic();

  void setOutputTopic(String value);

  @Description("Topic the DeadLetter records of every stage are written to (key: stage).")
  @Default.String(Topics.DEAD_LETTERS)
  String getDeadLetterTopic();

  void setDeadLetterTopic(String value);

  @Description(
      "Kafka consumer group; offsets are committed to it so a restart resumes. Empty: no group,"
          + " always read from the earliest offset.")
  @Default.String("rredcot-credit")
  String getConsumerGroupId();

  void setConsumerGroupId(String value);

  @Description(
      "Largest rollout record (value bytes) the job takes; larger records become dead letters"
          + " (reason record-too-large) at ingest.")
  @Default.Long(1_048_576)
  long getMaxRecordBytes();

  void setMaxRecordBytes(long value);

  @Description(
      "Smallest group size (a rollout's groupSize) the job takes; rollouts of smaller groups become"
          + " dead letters (reason invalid-group-size) at ingest.")
  @Default.Integer(2)
  int getMinGroupSize();

  void setMinGroupSize(int value);

  @Description(
      "Largest group size (a rollout's groupSize) the job takes; rollouts of larger groups become"
          + " dead letters (reason invalid-group-size) at ingest.")
  @Default.Integer(1024)
  int getMaxGroupSize();

  void setMaxGroupSize(int value);

  @Description(
      "Largest record the job writes to Kafka (the producer's max.request.size; keep it at or"
          + " below the broker's message.max.bytes). A larger output becomes a dead letter"
          + " (reason record-too-large) instead of failing the producer.")
  @Default.Integer(1_048_576)
  int getMaxMessageBytes();

  void setMaxMessageBytes(int value);

  @Description(
      "Kafka client properties file (security.protocol, sasl.*, ssl.*) for every Kafka client of"
          + " the job; empty: the file named by $RREDCOT_KAFKA_CONFIG, else none (plaintext).")
  @Default.String("")
  String getKafkaConfig();

  void setKafkaConfig(String value);

  @Description(
      "Delivery guarantee of the job's Kafka writes (credited rollouts and dead letters):"
          + " exactly-once writes in Kafka transactions committed after each Flink checkpoint, so a"
          + " read_committed consumer sees every record once across crashes, one checkpoint"
          + " interval after it was computed at the latest (needs --checkpointing-interval and an"
          + " unbounded run); at-least-once writes without transactions, visible at once, and a"
          + " crash writes again what came after the last checkpoint; auto: exactly-once for an"
          + " unbounded run on Flink with checkpointing, else at-least-once. Default"
          + " at-least-once until exactly-once's cost to the live loop is measured.")
  @Default.String("at-least-once")
  String getDeliveryGuarantee();

  void setDeliveryGuarantee(String value);

  @Description("Stop after this many input records (a bounded run); 0 reads forever.")
  @Default.Long(0)
  long getMaxRecords();

  void setMaxRecords(long value);
}
