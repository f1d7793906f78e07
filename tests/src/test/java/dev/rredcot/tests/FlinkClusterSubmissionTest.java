package dev.rredcot.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.infra.cli.RredcotCli;
import dev.rredcot.infra.flink.FlinkClasspath;
import dev.rredcot.infra.flink.FlinkCluster;
import dev.rredcot.infra.flink.FlinkClusterSettings;
import dev.rredcot.infra.flink.FlinkRest;
import dev.rredcot.infra.home.RredcotHome;
import dev.rredcot.infra.kafka.EmbeddedKafkaBroker;
import dev.rredcot.infra.synthetic.SyntheticRollouts;
import dev.rredcot.schemas.CreditedRollout;
import dev.rredcot.schemas.RecordCodec;
import dev.rredcot.schemas.Rollout;
import dev.rredcot.schemas.Topics;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The credit job on a standalone Flink cluster started as {@code rredcot flink up} starts it
 * (Flink's entry points, separate JVMs): {@code rredcot pipeline --flink-master=HOST:PORT} stages
 * the shaded job jar there, the cluster's REST API lists the job, every produced rollout comes back
 * credited, and no process of the cluster outlives {@code down}.
 */
@Tag("slow")
class FlinkClusterSubmissionTest {
  private static final int ROLLOUTS = 16;
  private static final RecordCodec<Rollout> ROLLOUT_CODEC = RecordCodec.of(Rollout.class);
  private static final RecordCodec<CreditedRollout> CREDITED_CODEC =
      RecordCodec.of(CreditedRollout.class);

  @Test
  void creditJobRunsOnTheClusterAndNoProcessOutlivesIt(@TempDir Path dir) throws Exception {
    FlinkCluster cluster = new FlinkCluster(dir.resolve("flink"));
    int restPort = freePort();
    int prometheusPort = freePort();
    FlinkClusterSettings settings =
        FlinkClusterSettings.builder()
            .optRestPort(restPort)
            .optPrometheusPorts(prometheusPort + "-" + (prometheusPort + 4))
            .optTaskManagers(1)
            .optSlots(2)
            .build();
    List<Rollout> rollouts = SyntheticRollouts.builder().optSeed(31).build().generate(ROLLOUTS);
    Set<String> ids = rollouts.stream().map(Rollout::getRolloutId).collect(Collectors.toSet());
    FlinkCluster.Running running = null;
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir.resolve("kafka"))) {
      broker.createTopics(
          List.of(Topics.ROLLOUTS, Topics.CREDITED_ROLLOUTS, Topics.DEAD_LETTERS), 2);
      TopicRecords.write(
          broker.bootstrapServers(),
          Topics.ROLLOUTS,
          rollouts.stream()
              .map(
                  r ->
                      new byte[][] {
                        r.getGroupId().getBytes(StandardCharsets.UTF_8), ROLLOUT_CODEC.encode(r)
                      })
              .toList());

      running = cluster.up(settings, FlinkClasspath.ofThisJvm()).cluster();
      assertEquals(1, new FlinkRest(running.restAddress()).overview().taskManagers());
      assertTrue(
          taskManagerReportsToPrometheus(prometheusPort, prometheusPort + 4),
          "no Prometheus endpoint of the range serves TaskManager metrics");

      StringWriter out = new StringWriter();
      CommandLine cli = RredcotCli.commandLine(RredcotHome.at(dir.resolve("home")));
      cli.setOut(new PrintWriter(out));
      cli.setErr(new PrintWriter(out));
      int exit =
          cli.execute(
              "pipeline",
              "--bootstrap",
              broker.bootstrapServers(),
              "--flink-master=" + running.restAddress(),
              "--max-records",
              Integer.toString(ROLLOUTS),
              "--credit=rredcot",
              "--group-timeout-ms=60000");
      assertEquals(0, exit, out.toString());
      assertTrue(out.toString().contains("credit job DONE"), out.toString());

      List<FlinkRest.Job> jobs = new FlinkRest(running.restAddress()).jobs();
      assertEquals(1, jobs.size(), jobs.toString());
      assertEquals("rredcot-credit", jobs.get(0).name());
      assertEquals("FINISHED", jobs.get(0).state());

      List<CreditedRollout> credited =
          TopicRecords.readAll(
                  broker.bootstrapServers(),
                  Topics.CREDITED_ROLLOUTS,
                  ROLLOUTS,
                  Duration.ofSeconds(60))
              .stream()
              .map(record -> CREDITED_CODEC.decode(record.value()))
              .toList();
      assertEquals(ROLLOUTS, credited.size());
      assertEquals(
          ids, credited.stream().map(CreditedRollout::getRolloutId).collect(Collectors.toSet()));
      // The cluster's processes log what they do, with timestamps, where the layout says.
      String jobManagerLog =
          Files.readString(dir.resolve("flink").resolve("log").resolve("jobmanager.log"));
      assertTrue(jobManagerLog.contains("[INFO]"), jobManagerLog);
      assertTrue(jobManagerLog.contains("rredcot-credit"), jobManagerLog);
      assertTrue(
          jobManagerLog.lines().anyMatch(line -> line.matches("^\\d{4}-\\d{2}-\\d{2}T.*")),
          jobManagerLog);
    } finally {
      FlinkCluster.DownResult down = cluster.down(Duration.ofSeconds(30));
      if (running != null) {
        assertEquals(Set.copyOf(running.pids().values()), Set.copyOf(down.stopped()));
      }
    }
    String marker = dir.resolve("flink").toString();
    List<String> left =
        ProcessHandle.allProcesses()
            .filter(ProcessHandle::isAlive)
            .map(process -> process.info().commandLine().orElse(""))
            .filter(line -> line.contains(marker))
            .toList();
    assertEquals(List.of(), left, "processes of the cluster still alive");
    assertTrue(cluster.running().isEmpty());
  }

  /** Whether one port of the range serves the TaskManager's metrics in Prometheus's format. */
  private static boolean taskManagerReportsToPrometheus(int from, int to) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    for (int port = from; port <= to; port++) {
      HttpRequest request =
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
              .timeout(Duration.ofSeconds(5))
              .build();
      try {
        String body = http.send(request, HttpResponse.BodyHandlers.ofString()).body();
        if (body.contains("flink_taskmanager_Status_JVM_CPU_Load")) {
          return true;
        }
      } catch (IOException e) {
        // Nothing listens on this port of the range.
      }
    }
    return false;
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
