package dev.rredcot.pipelines;

/** Options of the credit job: Kafka endpoints, grouping and credit settings. */
public interface CreditPipelineOptions extends KafkaOptions, GroupingOptions, CreditOptions {}
