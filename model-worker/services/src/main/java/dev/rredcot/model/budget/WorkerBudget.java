package dev.rredcot.model.budget;

import dev.rredcot.schemas.BudgetEvent;
import dev.rredcot.schemas.BudgetEventKind;
import dev.rredcot.schemas.PromptRange;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * A rollout worker's side of the in-flight budget: how many prompts the ledger has room for, and
 * claims for exactly the prompts it is about to sample, decided by the ledger's fold (so two
 * workers that both saw room cannot both take it). Used by the worker's thread only.
 */
public final class WorkerBudget implements AutoCloseable {

  /** How long a claim's verdict is awaited before the prompts are put back. */
  static final Duration VERDICT_TIMEOUT = Duration.ofSeconds(30);

  private final LedgerFollower follower;
  private final String workerId;
  private final String consumerGroup;
  private final int groupSize;
  private long claimsRefused;

  /**
   * A budget client for a worker of prompt consumer group {@code consumerGroup} sampling {@code
   * groupSize} traces per prompt.
   */
  public WorkerBudget(
      String bootstrapServers,
      String budgetTopic,
      String workerId,
      String consumerGroup,
      int groupSize) {
    this.follower = new LedgerFollower(bootstrapServers, budgetTopic);
    this.workerId = workerId;
    this.consumerGroup = consumerGroup;
    this.groupSize = groupSize;
  }

  /** Assigns the ledger's partitions; call once before anything else. */
  public void start() {
    follower.assign();
  }

  /** Folds what arrived on the ledger, waiting at most {@code wait}. */
  public void follow(Duration wait) {
    follower.poll(wait);
  }

  /** Prompts that fit the budget now (at most {@code most}); 0 before the trainer's first word. */
  public int admissiblePrompts(int most) {
    InFlightLedger ledger = follower.ledger();
    if (!ledger.retireSeen()) {
      return 0;
    }
    long room = ledger.roomRollouts(groupSize) / groupSize;
    return (int) Math.max(0, Math.min(most, room));
  }

  /** The fold so far (for figures and tests). */
  public InFlightLedger ledger() {
    return follower.ledger();
  }

  /** Claims refused because another worker's claim took the room first. */
  public long claimsRefused() {
    return claimsRefused;
  }

  /**
   * Claims the prompts of {@code records} (offsets of {@code promptsTopic}; per partition a run of
   * consecutive offsets) and waits for the fold's verdict: true when they may be sampled. False
   * when refused, not folded within 30 s, or {@code running} turned false; the caller then puts the
   * prompts back.
   */
  public boolean claim(
      KafkaProducer<String, byte[]> producer,
      String promptsTopic,
      List<ConsumerRecord<byte[], byte[]>> records,
      BooleanSupplier running)
      throws Exception {
    Map<Integer, long[]> spans = new TreeMap<>();
    for (ConsumerRecord<byte[], byte[]> record : records) {
      spans.merge(
          record.partition(),
          new long[] {record.offset(), record.offset() + 1},
          (a, b) -> new long[] {Math.min(a[0], b[0]), Math.max(a[1], b[1])});
    }
    List<PromptRange> ranges = new ArrayList<>();
    spans.forEach((partition, span) -> ranges.add(new PromptRange(partition, span[0], span[1])));
    BudgetEvent claim =
        event(BudgetEventKind.CLAIM)
            .setConsumerGroup(consumerGroup)
            .setPromptsTopic(promptsTopic)
            .setRanges(ranges)
            .setGroupSize(groupSize)
            .build();
    RecordMetadata written;
    try {
      written = send(producer, claim).get(VERDICT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      // Perhaps written later; if so and accepted, its rollouts count as in flight until the
      // trainer writes them off (TrainerBudget).
      claimsRefused++;
      return false;
    }
    follower.expect(written.partition(), written.offset());
    boolean accepted =
        follower
            .awaitVerdict(written.partition(), written.offset(), VERDICT_TIMEOUT, running)
            .map(verdict -> verdict == InFlightLedger.Verdict.ACCEPTED)
            .orElse(false);
    if (!accepted) {
      claimsRefused++;
    }
    return accepted;
  }

  /** Gives back {@code rollouts} claimed but not produced (prompts that were rejected). */
  public Future<RecordMetadata> release(KafkaProducer<String, byte[]> producer, long rollouts) {
    return send(producer, event(BudgetEventKind.RELEASE).setRollouts(rollouts).build());
  }

  private BudgetEvent.Builder event(BudgetEventKind kind) {
    return BudgetEvent.newBuilder().setKind(kind).setSource(workerId).setAtMs(Instant.now());
  }

  private Future<RecordMetadata> send(KafkaProducer<String, byte[]> producer, BudgetEvent event) {
    return producer.send(
        new ProducerRecord<>(
            follower.topic(), LedgerFollower.KEY, LedgerFollower.CODEC.encode(event)));
  }

  @Override
  public void close() {
    follower.close();
  }
}
