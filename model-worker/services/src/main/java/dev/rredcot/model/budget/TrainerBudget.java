package dev.rredcot.model.budget;

import dev.rredcot.schemas.BudgetEvent;
import dev.rredcot.schemas.BudgetEventKind;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trainer's side of the in-flight budget: publishes RETIRE events on the ledger, each with the
 * trainer's cumulative count of credited rollouts read plus an adjustment, and the limit (S + 1)·B
 * groups. Everything it needs after a restart comes from the ledger: a trainer that finds its own
 * id on the newest retirement keeps that adjustment (its counters resume with its store); another
 * trainer continues from the newest retirement. The adjustment also keeps the retired count at or
 * below the admitted one (a trainer that counts rollouts nobody claimed, e.g. from {@code
 * produce-rollouts} or redelivered, would otherwise open the budget wide), and writes off what
 * stays in flight while nothing moves for {@code writeOffAfter} (rollouts the credit job
 * dead-lettered or lost never reach the trainer, and would close the budget for good). Used by the
 * trainer's thread only.
 */
public final class TrainerBudget implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(TrainerBudget.class);
  private static final byte[] KEY = LedgerFollower.KEY.getBytes(StandardCharsets.UTF_8);

  private final LedgerFollower follower;
  private final String trainerId;
  private final int limitGroups;
  private final long writeOffAfterMs;
  private final LongSupplier clockMs;
  private final RetirementAccount account;
  private boolean opened;
  private long publishedRetired = Long.MIN_VALUE;

  /**
   * A budget publisher for the trainer {@code trainerId} with limit {@code limitGroups} = (S + 1)·B
   * that writes off rollouts in flight after {@code writeOffAfter} without movement (zero: never).
   */
  public TrainerBudget(
      String bootstrapServers,
      String budgetTopic,
      String trainerId,
      int limitGroups,
      Duration writeOffAfter,
      LongSupplier clockMs) {
    if (limitGroups < 1) {
      throw new IllegalArgumentException("limitGroups must be positive, got " + limitGroups);
    }
    this.follower = new LedgerFollower(bootstrapServers, budgetTopic);
    this.trainerId = trainerId;
    this.limitGroups = limitGroups;
    this.writeOffAfterMs = writeOffAfter.toMillis();
    this.clockMs = clockMs;
    this.account = new RetirementAccount(writeOffAfterMs);
  }

  /**
   * Reads the whole ledger and takes the adjustment up from the newest retirement; {@code consumed}
   * is the trainer's own count now.
   */
  public void open(long consumed, BooleanSupplier running) {
    follower.assign();
    follower.catchUp(running);
    BudgetEvent last = follower.ledger().lastRetire();
    long adjustment;
    if (last == null) {
      adjustment = -consumed;
    } else if (trainerId.equals(last.getSource().toString())) {
      adjustment = last.getAdjustment();
    } else {
      adjustment = last.getRetiredRollouts() - consumed;
    }
    account.open(adjustment, clockMs.getAsLong());
    opened = true;
    LOG.info(
        "in-flight budget: {} groups; ledger {} admitted, {} retired; adjustment {}",
        limitGroups,
        follower.ledger().admittedRollouts(),
        follower.ledger().retiredRollouts(),
        adjustment);
  }

  /**
   * Folds the ledger to its end and publishes a retirement when the retired count or the limit
   * changed (always the first time); returns the send, or null when there was nothing new.
   */
  public Future<RecordMetadata> report(
      KafkaProducer<byte[], byte[]> producer,
      long consumed,
      long policyVersion,
      BooleanSupplier running) {
    if (!opened) {
      throw new IllegalStateException("open(...) first");
    }
    // To its end: a rollout the trainer read was claimed before it was sampled, so its claim is
    // in the ledger, and the clamp below must not mistake it for an unclaimed one.
    follower.catchUp(running);
    long admitted = follower.ledger().admittedRollouts();
    long now = clockMs.getAsLong();
    long retired = account.retired(consumed, admitted, now);
    if (account.lastWrittenOff() > 0) {
      LOG.warn(
          "in-flight budget: {} rollouts stayed in flight for {} s with no claim and no credited"
              + " rollout; written off (dead-lettered or lost before the trainer; any that arrive"
              + " later take their write-off back)",
          account.lastWrittenOff(),
          writeOffAfterMs / 1000);
    }
    if (retired == publishedRetired) {
      return null;
    }
    publishedRetired = retired;
    BudgetEvent event =
        BudgetEvent.newBuilder()
            .setKind(BudgetEventKind.RETIRE)
            .setSource(trainerId)
            .setAtMs(Instant.ofEpochMilli(now))
            .setRetiredRollouts(retired)
            .setConsumedRollouts(consumed)
            .setAdjustment(account.adjustment())
            .setLimitGroups(limitGroups)
            .setPolicyVersion(policyVersion)
            .build();
    return producer.send(
        new ProducerRecord<>(follower.topic(), KEY, LedgerFollower.CODEC.encode(event)));
  }

  /** Makes the next {@link #report} publish even if nothing changed (the last send failed). */
  public void republish() {
    publishedRetired = Long.MIN_VALUE;
  }

  /** The fold so far. */
  public InFlightLedger ledger() {
    return follower.ledger();
  }

  /**
   * A credited rollout created at {@code createdAtMs} was read for the first time (not a
   * duplicate): one that was in flight at the newest write-off takes its write-off back ({@link
   * RetirementAccount}).
   */
  public void arrived(long createdAtMs) {
    long before = account.takenBack();
    account.arrived(createdAtMs);
    if (account.takenBack() > before && account.takenBack() % 64 == 1) {
      LOG.info(
          "in-flight budget: a written-off rollout arrived late; {} of {} written off taken back",
          account.takenBack(),
          account.writtenOff());
    }
  }

  /** Rollouts written off by this process. */
  public long writtenOff() {
    return account.writtenOff();
  }

  /** Rollouts of this process's write-offs that arrived after all and took them back. */
  public long takenBack() {
    return account.takenBack();
  }

  @Override
  public void close() {
    follower.close();
  }
}
