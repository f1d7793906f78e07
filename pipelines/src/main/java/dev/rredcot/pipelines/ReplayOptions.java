package dev.rredcot.pipelines;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * Replay: credit a bounded range of the rollouts topic or stored Avro files, and write the result
 * to a topic or to Avro files. Any of these makes the run bounded.
 */
public interface ReplayOptions extends PipelineOptions {
  @Description(
      "Start offsets per partition of --input-topic, 'partition:offset,...' (inclusive); partitions"
          + " not listed start at their earliest offset when --to-offsets is set.")
  @Default.String("")
  String getFromOffsets();

  void setFromOffsets(String value);

  @Description(
      "Stop offsets per partition, 'partition:offset,...' (exclusive); partitions not listed stop"
          + " at their end offset as of job start.")
  @Default.String("")
  String getToOffsets();

  void setToOffsets(String value);

  @Description(
      "Start at the first record at or after this time (ISO-8601, e.g. 2026-11-26T10:00:00Z).")
  @Default.String("")
  String getFromTime();

  void setFromTime(String value);

  @Description("Stop before the first record at or after this time (ISO-8601).")
  @Default.String("")
  String getToTime();

  void setToTime(String value);

  @Description(
      "Read rollouts from Avro container files (glob) instead of Kafka: files of Rollout records or"
          + " of bytes records holding the topic's single-object encoded values.")
  @Default.String("")
  String getInputFiles();

  void setInputFiles(String value);

  @Description(
      "Write CreditedRollout records to Avro files with this prefix (dead letters to"
          + " <prefix>-dead-letters) instead of Kafka.")
  @Default.String("")
  String getOutputFiles();

  void setOutputFiles(String value);
}
