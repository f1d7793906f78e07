package dev.rredcot.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.rredcot.pipelines.CreditPipelineOptions;
import dev.rredcot.schemas.CreditedRollout;
import dev.rredcot.schemas.RecordCodec;
import dev.rredcot.schemas.Rollout;
import dev.rredcot.schemas.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/** What the online loop tests share: the credit job they run, and the count of every rollout. */
final class OnlineLoopChecks {
  private OnlineLoopChecks() {}

  /**
   * The credit job of a loop test: rredcot credit on Flink's embedded mini-cluster in streaming
   * mode (a bounded Kafka read would otherwise run as a Flink batch job, whose grouping emits only
   * at the end, while the worker waits for the trainer to read what is in flight), scoring with the
   * versions of {@code store}, stopping after {@code maxRecords}.
   *
   * @param extra further job arguments, e.g. {@code --trustedKeys=...}
   */
  static CreditPipelineOptions creditJob(
      String bootstrap, Path store, int maxRecords, String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--runner=FlinkRunner",
                "--flinkMaster=[local]",
                "--parallelism=1",
                "--streaming=true",
                "--bootstrapServers=" + bootstrap,
                "--credit=rredcot",
                "--checkpointDir=" + store,
                "--maxRecords=" + maxRecords,
                "--groupTimeoutMs=60000"));
    args.addAll(List.of(extra));
    return PipelineOptionsFactory.fromArgs(args.toArray(String[]::new))
        .as(CreditPipelineOptions.class);
  }

  /**
   * Checks that each of the {@code rollouts} rollouts on the rollouts topic was credited exactly
   * once, every credit telescoping to reward − v₀, and returns the credited records.
   */
  static List<CreditedRollout> assertEveryRolloutCreditedOnce(
      String bootstrap, int rollouts, Duration timeout) throws Exception {
    List<CreditedRollout> credited =
        TopicRecords.readAll(bootstrap, Topics.CREDITED_ROLLOUTS, rollouts, timeout).stream()
            .map(record -> RecordCodec.of(CreditedRollout.class).decode(record.value()))
            .toList();
    Set<String> produced =
        TopicRecords.readAll(bootstrap, Topics.ROLLOUTS, rollouts, timeout).stream()
            .map(record -> RecordCodec.of(Rollout.class).decode(record.value()).getRolloutId())
            .collect(Collectors.toCollection(TreeSet::new));
    assertEquals(rollouts, produced.size());
    assertEquals(rollouts, credited.size());
    assertEquals(
        produced,
        credited.stream()
            .map(CreditedRollout::getRolloutId)
            .collect(Collectors.toCollection(TreeSet::new)),
        "every rollout credited, once");
    for (CreditedRollout rollout : credited) {
      double sum = rollout.getSegmentRewards().stream().mapToDouble(Double::doubleValue).sum();
      assertEquals(rollout.getReward() - rollout.getBoundaryValues().get(0), sum, 1e-9);
    }
    return credited;
  }
}
