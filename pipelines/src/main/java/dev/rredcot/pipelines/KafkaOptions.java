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

  @Description("Stop after this many input records (a bounded run); 0 reads forever.")
  @Default.Long(0)
  long getMaxRecords();

  void setMaxRecords(long value);
}
