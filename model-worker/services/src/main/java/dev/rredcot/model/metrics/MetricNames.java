package dev.rredcot.model.metrics;

import java.util.List;
import java.util.Objects;

/**
 * The names of every metric the services export on {@code /metrics}: the one place they are
 * spelled, so that trainer, rollout worker and task feeder register them from here and the table in
 * docs/OPERATIONS.md is checked against {@link #all()}.
 */
public final class MetricNames {

  /** The Prometheus type of a metric. */
  public enum Kind {
    /** Only goes up; scraped with the suffix {@code _total}. */
    COUNTER,
    /** A value that goes up and down. */
    GAUGE,
    /**
     * Observations in cumulative buckets; scraped as {@code _bucket}, {@code _count}, {@code _sum}.
     */
    HISTOGRAM,
    /** A Beam counter of the credit job (exported by the Flink runner's metric reporters). */
    BEAM_COUNTER,
    /** A Beam gauge of the credit job (the latest value set). */
    BEAM_GAUGE,
    /** A Beam distribution of the credit job (count, sum, min, max). */
    BEAM_DISTRIBUTION
  }

  /**
   * One documented metric.
   *
   * @param name the name as registered (a counter's without {@code _total})
   * @param kind its type
   * @param labels its label names, in order
   * @param where the services that export it
   * @param help what it measures, one line
   */
  public record Name(String name, Kind kind, List<String> labels, String where, String help) {
    /** Copies the labels. */
    public Name {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(kind, "kind");
      labels = List.copyOf(labels);
    }

    /** The name a scrape shows: a Prometheus counter's ends in {@code _total}. */
    public String scraped() {
      return kind == Kind.COUNTER ? name + "_total" : name;
    }
  }

  /** Label of the consumer group of a lag gauge. */
  public static final String GROUP = "group";

  /** Label of a dead letter's reason. */
  public static final String REASON = "reason";

  /** Prompts the task feeder wrote and the broker acknowledged. */
  public static final Name FEEDER_PROMPTS_SENT =
      new Name(
          "rredcot_feeder_prompts_sent",
          Kind.COUNTER,
          List.of(),
          "feeder",
          "prompts acknowledged by the broker");

  /** Rollouts a rollout worker published (acknowledged). */
  public static final Name WORKER_ROLLOUTS_PUBLISHED =
      new Name(
          "rredcot_worker_rollouts_published",
          Kind.COUNTER,
          List.of(),
          "worker",
          "rollouts acknowledged by the broker");

  /** Prompts a rollout worker served (group published, offset committed). */
  public static final Name WORKER_PROMPTS_SERVED =
      new Name(
          "rredcot_worker_prompts_served",
          Kind.COUNTER,
          List.of(),
          "worker",
          "prompts whose group was published and whose offset was committed");

  /** Credited rollouts the trainer read. */
  public static final Name TRAINER_ROLLOUTS_CONSUMED =
      new Name(
          "rredcot_trainer_rollouts_consumed",
          Kind.COUNTER,
          List.of(),
          "trainer",
          "credited rollouts read (duplicates of consumed offsets excluded)");

  /** Credited rollouts that were part of a trained batch. */
  public static final Name TRAINER_ROLLOUTS_TRAINED =
      new Name(
          "rredcot_trainer_rollouts_trained",
          Kind.COUNTER,
          List.of(),
          "trainer",
          "rollouts that were part of a trained batch");

  /** Records a service sent to dead letters, by reason. */
  public static final Name DEAD_LETTERS =
      new Name(
          "rredcot_dead_letters",
          Kind.COUNTER,
          List.of(REASON),
          "worker, trainer",
          "records sent to dead-letters, by the dead letter's reason");

  /** Mean reward of the last batch. */
  public static final Name REWARD_MEAN =
      new Name(
          "rredcot_reward_mean",
          Kind.GAUGE,
          List.of(),
          "worker, trainer",
          "mean reward of the last published (worker) or trained (trainer) batch");

  /** Sampled held-out accuracy of the last evaluation. */
  public static final Name HELDOUT_ACCURACY =
      new Name(
          "rredcot_heldout_accuracy",
          Kind.GAUGE,
          List.of(),
          "trainer (when it evaluates)",
          "sampled held-out accuracy of the newest evaluated policy, 0..1");

  /** Version of the policy a service uses now. */
  public static final Name POLICY_VERSION =
      new Name(
          "rredcot_policy_version",
          Kind.GAUGE,
          List.of(),
          "worker, trainer",
          "version of the policy in use (-1 while a worker waits for one)");

  /** How many versions behind the trainer's policy consumed rollouts were. */
  public static final Name ROLLOUT_STALENESS =
      new Name(
          "rredcot_rollout_staleness_versions",
          Kind.HISTOGRAM,
          List.of(),
          "trainer",
          "trainer policy version minus the rollout's policy version, at arrival");

  /** Seconds since the checkpoint in use was written. */
  public static final Name CHECKPOINT_AGE =
      new Name(
          "rredcot_checkpoint_age_seconds",
          Kind.GAUGE,
          List.of(),
          "worker, trainer",
          "seconds since the checkpoint in use was written (absent while unknown)");

  /** Checkpoint versions refused as unsigned or forged. */
  public static final Name CHECKPOINTS_UNTRUSTED =
      new Name(
          "rredcot_checkpoints_untrusted",
          Kind.GAUGE,
          List.of(),
          "trainer",
          "checkpoint versions refused since start as unsigned or not signed by a trusted key (set"
              + " aside at resume)");

  /** Wall time of one optimiser step with its checkpoint. */
  public static final Name TRAINER_STEP_SECONDS =
      new Name(
          "rredcot_trainer_step_seconds",
          Kind.HISTOGRAM,
          List.of(),
          "trainer",
          "wall time per optimiser step, checkpoint write (and evaluation, when due) included");

  /** Records a consumer group has not read yet. */
  public static final Name CONSUMER_LAG =
      new Name(
          "rredcot_consumer_lag_records",
          Kind.GAUGE,
          List.of(GROUP),
          "worker, trainer",
          "records behind the end of the consumed partitions, from the consumer's own metrics");

  private static final List<Name> ALL =
      List.of(
          FEEDER_PROMPTS_SENT,
          WORKER_ROLLOUTS_PUBLISHED,
          WORKER_PROMPTS_SERVED,
          TRAINER_ROLLOUTS_CONSUMED,
          TRAINER_ROLLOUTS_TRAINED,
          DEAD_LETTERS,
          REWARD_MEAN,
          HELDOUT_ACCURACY,
          POLICY_VERSION,
          ROLLOUT_STALENESS,
          CHECKPOINT_AGE,
          CHECKPOINTS_UNTRUSTED,
          TRAINER_STEP_SECONDS,
          CONSUMER_LAG);

  private MetricNames() {}

  /** Every service metric, in the order of the documented table. */
  public static List<Name> all() {
    return ALL;
  }
}
