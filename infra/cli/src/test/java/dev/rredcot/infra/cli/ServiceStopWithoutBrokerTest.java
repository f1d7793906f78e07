package dev.rredcot.infra.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.infra.kafka.EmbeddedKafkaBroker;
import dev.rredcot.infra.kafka.TopicAdmin;
import dev.rredcot.model.rollout.TaskFeeder;
import dev.rredcot.model.task.ArithmeticTask;
import dev.rredcot.schemas.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rollout worker whose broker went away while it was publishing stops within seconds on Ctrl-C
 * (SIGINT) with its summary line, instead of waiting out the producer's delivery timeout.
 */
@Tag("slow")
class ServiceStopWithoutBrokerTest {
  private static final Duration WORKING = Duration.ofMinutes(3);
  private static final Duration EXIT = Duration.ofSeconds(20);

  @TempDir Path dir;
  private EmbeddedKafkaBroker kafka;

  @AfterEach
  void stopBroker() {
    if (kafka != null) {
      kafka.close();
    }
  }

  @Test
  void workerStopsOnSigintAfterItsBrokerWentAway() throws Exception {
    kafka = EmbeddedKafkaBroker.start(dir.resolve("kafka"));
    kafka.createTopics(Topics.ALL, 2);
    String bootstrap = kafka.bootstrapServers();
    try (TaskFeeder feeder =
        TaskFeeder.builder()
            .setBootstrapServers(bootstrap)
            .setTask(ArithmeticTask.defaults())
            .optFixedSet(160, 1)
            .optPromptsPerSecond(1000)
            .build()) {
      feeder.start();
      feeder.awaitTermination();
    }
    try (CliProcess worker =
        CliProcess.start(
            dir.resolve("home"),
            dir.resolve("worker.out"),
            "worker",
            "--bootstrap",
            bootstrap,
            "--store",
            dir.resolve("store").toString(),
            // No trainer here to publish an in-flight budget.
            "--in-flight-budget",
            "false")) {
      long deadline = System.nanoTime() + WORKING.toNanos();
      while (rollouts(bootstrap) < 8) {
        if (!worker.isAlive() || System.nanoTime() > deadline) {
          throw new AssertionError("no rollouts published:\n" + worker.output());
        }
        Thread.sleep(200);
      }
      // Gone while the worker samples its next batches: their sends cannot be acknowledged.
      kafka.close();
      kafka = null;
      Thread.sleep(3_000);

      long start = System.nanoTime();
      worker.interrupt();
      int exit = worker.waitForExit(EXIT);
      Duration took = Duration.ofNanos(System.nanoTime() - start);
      String output = worker.output();
      assertEquals(0, exit, output);
      assertTrue(output.contains("worker: stopped; policy v0"), output);
      assertTrue(took.compareTo(EXIT) < 0, "took " + took);
    }
  }

  private static long rollouts(String bootstrap) {
    try (TopicAdmin admin = TopicAdmin.connect(bootstrap, Duration.ofSeconds(10))) {
      return admin.describe(List.of(Topics.ROLLOUTS)).get(0).totalEndOffset();
    }
  }
}
