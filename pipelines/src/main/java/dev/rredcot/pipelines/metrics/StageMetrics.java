package dev.rredcot.pipelines.metrics;

import dev.rredcot.model.metrics.MetricNames;
import dev.rredcot.model.metrics.MetricNames.Kind;
import dev.rredcot.pipelines.deadletter.DeadLetters;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Distribution;
import org.apache.beam.sdk.metrics.Gauge;
import org.apache.beam.sdk.metrics.Metrics;

/**
 * Names of the credit job's Beam metrics (namespace {@link DeadLetters#METRICS_NAMESPACE}) and the
 * helpers that update them: rollouts in and out per stage, dead letters by stage and reason, credit
 * latency, staleness, segments per rollout, scorer batches and model tokens. {@link #documented()}
 * lists them for the table in docs/OPERATIONS.md.
 *
 * <p>Flink's metric reporters see a Beam metric as {@code rredcot.<name>} in the operator's scope,
 * and a Beam distribution as a gauge whose value is not a number, which Prometheus cannot show; so
 * the latency and staleness distributions are also counted into cumulative bucket counters ({@code
 * <name>/le-<bound>}, {@code <name>/count}, {@code <name>/sum}) that any reporter exports.
 */
public final class StageMetrics {
  /** Distribution of segment counts K per segmented rollout. */
  public static final String SEGMENTS_PER_ROLLOUT = "segments-per-rollout";

  /** Distribution of traces per policy call. */
  public static final String SCORER_BATCH_TRACES = "scorer-batch-traces";

  /** Distribution of wall time per policy call, milliseconds. */
  public static final String SCORER_LATENCY_MS = "scorer-latency-ms";

  /** Counter of token positions the policy ran (Policy.forwardTokens deltas). */
  public static final String MODEL_FORWARD_TOKENS = "model-forward-tokens";

  /** Counter of records parsed into rollouts. */
  public static final String ROLLOUTS_PARSED = "rollouts-parsed";

  /** Counter of groups emitted with all G members. */
  public static final String GROUPS_COMPLETE = "groups-complete";

  /** Counter of groups emitted partial at their timeout. */
  public static final String GROUPS_PARTIAL_TIMEOUT = "groups-partial-timeout";

  /** Counter of groups emitted partial because a bounded input ended. */
  public static final String GROUPS_PARTIAL_END_OF_INPUT = "groups-partial-end-of-input";

  /** Counter of groups dead-lettered member by member for breaking the group contract. */
  public static final String GROUPS_DEAD_LETTERED = "groups-dead-lettered";

  /** Counter of rollouts dropped as duplicates by the grouping stage. */
  public static final String DUPLICATE_ROLLOUTS = "duplicate-rollouts";

  /** Counter of emitted-group markers forgotten after their time to live. */
  public static final String EMITTED_MARKERS_EXPIRED = "emitted-markers-expired";

  /** Counter of rollouts the job credited (written to credited-rollouts). */
  public static final String ROLLOUTS_CREDITED = "rollouts-credited";

  /** Counter of traces scored with the policy version that generated them. */
  public static final String SCORED_WITH_GENERATING_VERSION = "scored-with-generating-version";

  /** Counter of traces scored with the newest held version (their own was not held). */
  public static final String SCORED_WITH_NEWEST_VERSION = "scored-with-newest-version";

  /** Counter of announced checkpoints that failed verification or loading. */
  public static final String CHECKPOINTS_REFUSED = "checkpoints-refused";

  /** Counter of announced checkpoints the value stage's store does not hold. */
  public static final String CHECKPOINTS_IGNORED = "checkpoints-ignored";

  /**
   * Milliseconds from a rollout's creation (by its worker) to its credit: distribution, and bucket
   * counters {@link #CREDIT_LATENCY_BUCKETS_MS}.
   */
  public static final String CREDIT_LATENCY_MS = "credit-latency-ms";

  /** Upper bounds of the credit latency bucket counters, milliseconds. */
  public static final long[] CREDIT_LATENCY_BUCKETS_MS = {
    100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 300_000
  };

  /**
   * Versions a valued rollout's policy is behind the newest policy the value stage holds:
   * distribution, and bucket counters {@link #STALENESS_BUCKETS}.
   */
  public static final String STALENESS_VERSIONS = "staleness-versions";

  /** Gauge of the newest policy version the value stage holds (the credit job's version in use). */
  public static final String POLICY_VERSION = "policy-version";

  /** Upper bounds of the staleness bucket counters, versions. */
  public static final long[] STALENESS_BUCKETS = {0, 1, 2, 3, 4, 8, 16};

  private StageMetrics() {}

  /** Name of the counter of rollouts entering {@code stage}. */
  public static String inName(String stage) {
    return "stage/" + stage + "/in";
  }

  /** Name of the counter of rollouts leaving {@code stage} on its main output. */
  public static String outName(String stage) {
    return "stage/" + stage + "/out";
  }

  /** Counts {@code rollouts} entering {@code stage}. */
  public static void in(String stage, long rollouts) {
    counter(inName(stage)).inc(rollouts);
  }

  /** Counts {@code rollouts} leaving {@code stage} on its main output. */
  public static void out(String stage, long rollouts) {
    counter(outName(stage)).inc(rollouts);
  }

  /** Records one rollout credited {@code ms} milliseconds after its worker created it. */
  public static void creditLatency(long ms) {
    observe(CREDIT_LATENCY_MS, CREDIT_LATENCY_BUCKETS_MS, Math.max(0, ms));
  }

  /** Records one rollout valued {@code versions} behind the newest policy held. */
  public static void staleness(long versions) {
    observe(STALENESS_VERSIONS, STALENESS_BUCKETS, versions);
  }

  /** Name of the bucket counter of {@code distribution} for values up to {@code bound}. */
  public static String bucketName(String distribution, long bound) {
    return distribution + "/le-" + bound;
  }

  /** The job's counter {@code name}. */
  public static Counter counter(String name) {
    return Metrics.counter(DeadLetters.METRICS_NAMESPACE, name);
  }

  /** The job's gauge {@code name}. */
  public static Gauge gauge(String name) {
    return Metrics.gauge(DeadLetters.METRICS_NAMESPACE, name);
  }

  /** The job's distribution {@code name}. */
  public static Distribution distribution(String name) {
    return Metrics.distribution(DeadLetters.METRICS_NAMESPACE, name);
  }

  /**
   * Every metric the credit job reports, for the documented table; {@code <Stage>}, {@code
   * <stage>}, {@code <reason>} and {@code <bound>} stand for the parts that vary.
   */
  public static List<MetricNames.Name> documented() {
    List<MetricNames.Name> names = new ArrayList<>();
    names.add(beamCounter(inName("<Stage>"), "every stage", "rollouts entering the stage"));
    names.add(
        beamCounter(outName("<Stage>"), "every stage", "rollouts leaving it on its main output"));
    names.add(
        beamCounter(
            DeadLetters.counterName("<stage>", "<reason>"),
            "every stage",
            "dead letters by stage and reason"));
    names.add(
        beamCounter(ROLLOUTS_CREDITED, "ComputeAdvantages", "rollouts written with their credit"));
    names.add(
        beamDistribution(
            CREDIT_LATENCY_MS,
            "ComputeAdvantages",
            "ms from the rollout's creation by its worker to its credit"));
    names.addAll(bucketCounters(CREDIT_LATENCY_MS, "ComputeAdvantages", "credit latency buckets"));
    names.add(
        beamDistribution(
            STALENESS_VERSIONS,
            "EstimateValues (policy values)",
            "newest held policy version minus the rollout's policy version"));
    names.addAll(
        bucketCounters(STALENESS_VERSIONS, "EstimateValues (policy values)", "staleness buckets"));
    names.add(
        new MetricNames.Name(
            POLICY_VERSION,
            Kind.BEAM_GAUGE,
            List.of(),
            "credit job: EstimateValues (policy values)",
            "newest policy version the value stage holds"));
    names.add(beamDistribution(SEGMENTS_PER_ROLLOUT, "SegmentCoT", "segments K per rollout"));
    names.add(beamDistribution(SCORER_BATCH_TRACES, "EstimateValues", "traces per policy call"));
    names.add(beamDistribution(SCORER_LATENCY_MS, "EstimateValues", "ms per policy call"));
    names.add(
        beamCounter(MODEL_FORWARD_TOKENS, "EstimateValues", "token positions the policy ran"));
    names.add(
        beamCounter(
            SCORED_WITH_GENERATING_VERSION,
            "EstimateValues",
            "traces scored with the version that generated them"));
    names.add(
        beamCounter(
            SCORED_WITH_NEWEST_VERSION,
            "EstimateValues",
            "traces scored with the newest held version instead"));
    names.add(beamCounter(CHECKPOINTS_REFUSED, "EstimateValues", "announced checkpoints refused"));
    names.add(
        beamCounter(
            CHECKPOINTS_IGNORED, "EstimateValues", "announced versions not in the job's store"));
    names.add(beamCounter(ROLLOUTS_PARSED, "ParseRollout", "records parsed into rollouts"));
    names.add(beamCounter(GROUPS_COMPLETE, "GroupRollouts", "groups emitted with all G members"));
    names.add(
        beamCounter(
            GROUPS_PARTIAL_TIMEOUT, "GroupRollouts", "groups emitted partial at their timeout"));
    names.add(
        beamCounter(
            GROUPS_PARTIAL_END_OF_INPUT,
            "GroupRollouts",
            "groups emitted partial when a bounded input ended"));
    names.add(
        beamCounter(
            GROUPS_DEAD_LETTERED, "GroupRollouts", "groups dead-lettered for the group contract"));
    names.add(beamCounter(DUPLICATE_ROLLOUTS, "GroupRollouts", "rollouts dropped as duplicates"));
    names.add(
        beamCounter(EMITTED_MARKERS_EXPIRED, "GroupRollouts", "emitted-group markers forgotten"));
    return names;
  }

  private static void observe(String distribution, long[] bounds, long value) {
    distribution(distribution).update(value);
    counter(distribution + "/count").inc();
    counter(distribution + "/sum").inc(value);
    for (long bound : bounds) {
      if (value <= bound) {
        counter(bucketName(distribution, bound)).inc();
      }
    }
  }

  private static List<MetricNames.Name> bucketCounters(
      String distribution, String where, String help) {
    return List.of(
        beamCounter(distribution + "/le-<bound>", where, help + ", cumulative"),
        beamCounter(distribution + "/count", where, "observations of " + distribution),
        beamCounter(distribution + "/sum", where, "sum of " + distribution));
  }

  private static MetricNames.Name beamCounter(String name, String where, String help) {
    return new MetricNames.Name(name, Kind.BEAM_COUNTER, List.of(), "credit job: " + where, help);
  }

  private static MetricNames.Name beamDistribution(String name, String where, String help) {
    return new MetricNames.Name(
        name, Kind.BEAM_DISTRIBUTION, List.of(), "credit job: " + where, help);
  }
}
