package dev.rredcot.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.infra.cli.RredcotCli;
import dev.rredcot.infra.demo.ChildJvm;
import dev.rredcot.infra.home.RredcotHome;
import dev.rredcot.infra.kafka.EmbeddedKafkaBroker;
import dev.rredcot.infra.synthetic.SyntheticRollouts;
import dev.rredcot.schemas.CreditedRollout;
import dev.rredcot.schemas.RecordCodec;
import dev.rredcot.schemas.Rollout;
import dev.rredcot.schemas.Topics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The unbounded credit job as a real process ({@code rredcot pipeline}) against a real broker:
 * SIGKILLed mid-stream, after a checkpoint and before every rollout is credited, then restarted
 * from its retained checkpoint. A read_committed consumer (and Kafka's own console consumer) must
 * see every rollout credited exactly once.
 *
 * <p>{@code -Drredcot.killTest.deliveryGuarantee=at-least-once} runs the same scenario without
 * transactions, to measure what the guarantee saves (docs/BENCHMARKS.md); the assertions then fail
 * with the duplicate count.
 */
@Tag("slow")
class CreditJobKillExactlyOnceTest {
  private static final Logger LOG = LoggerFactory.getLogger(CreditJobKillExactlyOnceTest.class);
  private static final int GROUP_SIZE = 4;
  private static final int FIRST_GROUPS = 16;
  private static final int LATER_GROUPS = 48;
  private static final long CHECKPOINT_INTERVAL_MS = 2_000;
  private static final Duration STEP_TIMEOUT = Duration.ofSeconds(120);
  private static final RecordCodec<Rollout> ROLLOUTS = RecordCodec.of(Rollout.class);
  private static final RecordCodec<CreditedRollout> CREDITED =
      RecordCodec.of(CreditedRollout.class);

  @TempDir Path dir;
  private EmbeddedKafkaBroker kafka;
  private ChildJvm pipeline;

  @AfterEach
  void stopAll() throws InterruptedException {
    if (pipeline != null) {
      pipeline.close();
    }
    if (kafka != null) {
      kafka.close();
    }
  }

  @Test
  void aCreditJobKilledMidStreamShowsEveryRolloutOnceToReadCommittedConsumers() throws Exception {
    kafka = EmbeddedKafkaBroker.start(dir.resolve("kafka"));
    kafka.createTopics(Topics.ALL, 2);
    SyntheticRollouts synthetic =
        SyntheticRollouts.builder().optGroupSize(GROUP_SIZE).optSeed(21).build();
    List<List<Rollout>> groups = new ArrayList<>();
    for (int group = 0; group < FIRST_GROUPS + LATER_GROUPS; group++) {
      groups.add(synthetic.group(group));
    }
    Set<String> produced =
        groups.stream().flatMap(List::stream).map(r -> r.getRolloutId()).collect(toSet());
    int total = produced.size();
    Path home = dir.resolve("home");

    pipeline = startPipeline(home);
    groups.subList(0, FIRST_GROUPS).forEach(this::produce);
    int first = FIRST_GROUPS * GROUP_SIZE;
    awaitOrFail("the first " + first + " credited", () -> creditedIds().size() >= first);
    awaitOrFail("a completed checkpoint", () -> checkpoints(home) > 0);

    // The rest arrive while the job runs, one group every 100 ms; the kill comes in the middle.
    CompletableFuture<Void> rest =
        CompletableFuture.runAsync(
            () -> {
              for (List<Rollout> group : groups.subList(FIRST_GROUPS, groups.size())) {
                produce(group);
                sleep(100);
              }
            });
    int beforeKill = first + LATER_GROUPS * GROUP_SIZE / 4;
    awaitOrFail("a quarter of the rest seen", () -> creditedIds().size() >= beforeKill);
    sleep(CHECKPOINT_INTERVAL_MS / 2);
    pipeline.kill();
    int creditedAtKill = creditedIds().size();
    LOG.info("SIGKILLed the credit job with {} of {} credited", creditedAtKill, total);
    assertTrue(creditedAtKill < total, "killed before every rollout was credited");

    rest.get();
    pipeline = startPipeline(home);
    awaitOrFail(
        "every rollout credited after the restart",
        () -> new HashSet<>(creditedIds()).containsAll(produced));
    // Duplicates would come with later checkpoints: wait for a few more.
    sleep(4 * CHECKPOINT_INTERVAL_MS);

    List<String> ids = creditedIds();
    assertCreditedOnce(produced, ids, "a read_committed KafkaConsumer");
    assertEquals(0, committedCount(Topics.DEAD_LETTERS), "dead letters of valid rollouts");
    assertCreditedOnce(produced, consoleConsumerIds(), "kafka-console-consumer");
  }

  private ChildJvm startPipeline(Path home) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "pipeline",
                "--bootstrap",
                kafka.bootstrapServers(),
                "--credit=grpo",
                "--parallelism=1",
                "--group-timeout-ms=60000",
                "--checkpointing-interval=" + CHECKPOINT_INTERVAL_MS));
    String guarantee = System.getProperty("rredcot.killTest.deliveryGuarantee", "exactly-once");
    if (!guarantee.isEmpty()) {
      args.add("--delivery-guarantee=" + guarantee);
    }
    return ChildJvm.start(
        "pipeline",
        RredcotCli.class.getName(),
        args,
        dir.resolve("logs").resolve("pipeline.log"),
        Map.of("RREDCOT_HOME", home.toString()));
  }

  private static void assertCreditedOnce(Set<String> produced, List<String> ids, String reader) {
    Map<String, Integer> counts = new HashMap<>();
    ids.forEach(id -> counts.merge(id, 1, Integer::sum));
    long twice = counts.values().stream().filter(count -> count > 1).count();
    Set<String> missing = new LinkedHashSet<>(produced);
    missing.removeAll(counts.keySet());
    LOG.info(
        "{}: {} records, {} distinct ids, {} seen more than once, {} missing",
        reader,
        ids.size(),
        counts.size(),
        twice,
        missing.size());
    assertEquals(0, twice, reader + ": rollouts seen more than once");
    assertEquals(Set.of(), missing, reader + ": rollouts never seen");
    assertEquals(produced, counts.keySet(), reader + ": ids");
  }

  private void produce(List<Rollout> group) {
    TopicRecords.write(
        kafka.bootstrapServers(),
        Topics.ROLLOUTS,
        group.stream()
            .map(
                rollout ->
                    new byte[][] {
                      rollout.getGroupId().getBytes(StandardCharsets.UTF_8),
                      ROLLOUTS.encode(rollout)
                    })
            .toList());
  }

  /** The rollout ids of every credited record a read_committed consumer sees now. */
  private List<String> creditedIds() {
    return TopicRecords.readCommitted(
            kafka.bootstrapServers(), Topics.CREDITED_ROLLOUTS, Duration.ofSeconds(30))
        .stream()
        .map(value -> CREDITED.decode(value).getRolloutId())
        .toList();
  }

  private long committedCount(String topic) {
    return TopicRecords.readCommitted(kafka.bootstrapServers(), topic, Duration.ofSeconds(30))
        .size();
  }

  /** The ids Kafka's console consumer prints, read_committed, from the beginning. */
  private List<String> consoleConsumerIds() throws Exception {
    Path log = dir.resolve("logs").resolve("console-consumer.log");
    ChildJvm console =
        ChildJvm.start(
            "console-consumer",
            "org.apache.kafka.tools.consumer.ConsoleConsumer",
            List.of(
                "--bootstrap-server",
                kafka.bootstrapServers(),
                "--topic",
                Topics.CREDITED_ROLLOUTS,
                "--from-beginning",
                "--isolation-level",
                "read_committed",
                "--timeout-ms",
                "5000",
                "--formatter",
                CreditedRolloutIdFormatter.class.getName()),
            log);
    try (console) {
      await("the console consumer's exit", () -> !console.isAlive(), null);
    }
    try (Stream<String> lines = Files.lines(log)) {
      return lines
          .filter(line -> line.startsWith(CreditedRolloutIdFormatter.PREFIX))
          .map(line -> line.substring(CreditedRolloutIdFormatter.PREFIX.length()))
          .toList();
    }
  }

  /** Completed checkpoints retained under the home's Flink checkpoint directory. */
  private static long checkpoints(Path home) {
    Path storage = RredcotHome.at(home).flinkCheckpointsDir();
    if (!Files.isDirectory(storage)) {
      return 0;
    }
    try (Stream<Path> files = Files.walk(storage, 3)) {
      return files
          .filter(file -> file.getFileName().toString().equals("_metadata"))
          .filter(file -> file.getParent().getFileName().toString().startsWith("chk-"))
          .count();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void awaitOrFail(String what, BooleanSupplier done) throws InterruptedException {
    await(what, done, pipeline);
  }

  /** Waits for {@code done}; fails at the timeout or when {@code mustLive} (if any) exits. */
  private void await(String what, BooleanSupplier done, ChildJvm mustLive)
      throws InterruptedException {
    long deadline = System.nanoTime() + STEP_TIMEOUT.toNanos();
    while (!done.getAsBoolean()) {
      if (mustLive != null && !mustLive.isAlive()) {
        throw new AssertionError(
            "the pipeline exited waiting for " + what + ":\n" + String.join("\n", tail()));
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "not within " + STEP_TIMEOUT + ": " + what + "\n" + String.join("\n", tail()));
      }
      Thread.sleep(250);
    }
  }

  private List<String> tail() {
    return pipeline == null ? List.of() : pipeline.logTail(40);
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static <T> java.util.stream.Collector<T, ?, Set<T>> toSet() {
    return Collectors.toCollection(LinkedHashSet::new);
  }
}
