package dev.rredcot.pipelines;

/** Options of the credit job: Kafka endpoints, replay, grouping, credit and model settings. */
public interface CreditPipelineOptions
    extends KafkaOptions, ReplayOptions, GroupingOptions, CreditOptions, ModelOptions {}
