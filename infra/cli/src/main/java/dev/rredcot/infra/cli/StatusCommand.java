package dev.rredcot.infra.cli;

import dev.rredcot.infra.kafka.KafkaAdminException;
import dev.rredcot.infra.kafka.LocalKafkaBroker;
import dev.rredcot.infra.kafka.RecentRecords;
import dev.rredcot.infra.kafka.TopicAdmin;
import dev.rredcot.model.service.KafkaClientConfig;
import dev.rredcot.model.service.KafkaClients;
import dev.rredcot.schemas.PolicyCheckpoint;
import dev.rredcot.schemas.RecordCodec;
import dev.rredcot.schemas.RecordDecodingException;
import dev.rredcot.schemas.Rollout;
import dev.rredcot.schemas.Topics;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code rredcot status}: whether the local broker runs (or which broker {@code --bootstrap}
 * names), its topics with end offsets, the lag of every consumer group and the policy versions in
 * use.
 */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description = {
      "Show whether the local Kafka broker runs (pid, bootstrap address), or with --bootstrap"
          + " another broker; each topic's partitions and end offsets; each consumer group's"
          + " committed offsets and lag per topic; the newest announced policy version and the"
          + " versions of the newest rollouts (what the workers sample with).",
      "Fails within --timeout-ms when the broker does not answer."
    })
final class StatusCommand implements Callable<Integer> {
  /** Records read from the end of each partition to tell the versions in use. */
  private static final int RECENT_PER_PARTITION = 64;

  /** How long a TCP connection to a bootstrap address may take before it counts as refused. */
  private static final int PROBE_TIMEOUT_MS = 2_000;

  private static final RecordCodec<PolicyCheckpoint> ANNOUNCEMENTS =
      RecordCodec.of(PolicyCheckpoint.class);
  private static final RecordCodec<Rollout> ROLLOUTS = RecordCodec.of(Rollout.class);

  @ParentCommand RredcotCli cli;
  @Spec CommandSpec spec;
  @Mixin BootstrapOption bootstrapOption;

  @Option(
      names = "--timeout-ms",
      defaultValue = "5000",
      description = "Bound on each broker request (default: ${DEFAULT-VALUE}).")
  long timeoutMs;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    String bootstrap;
    String owner;
    boolean explicit = bootstrapOption.bootstrap != null && !bootstrapOption.bootstrap.isBlank();
    if (explicit) {
      bootstrap = bootstrapOption.bootstrap;
      owner = "broker at " + bootstrap;
      out.printf("Kafka broker: %s (not checked against the local one)%n", bootstrap);
    } else {
      LocalKafkaBroker local = new LocalKafkaBroker(cli.home());
      Optional<LocalKafkaBroker.RunningBroker> running = local.running();
      if (running.isEmpty()) {
        out.printf("Kafka broker: not running (home %s)%n", cli.home());
        out.flush();
        return 0;
      }
      LocalKafkaBroker.RunningBroker broker = running.get();
      bootstrap = broker.bootstrapServers();
      owner = "broker pid " + broker.pid() + " runs but";
      out.printf(
          "Kafka broker: running, pid %d, bootstrap %s%s (home %s)%n",
          broker.pid(),
          bootstrap,
          broker.secure()
              ? ", SASL_SSL with ACLs (admin client config "
                  + cli.home().clientPropertiesFile(bootstrapOption.role().roleName())
                  + ")"
              : "",
          cli.home());
    }
    KafkaClientConfig clientConfig = bootstrapOption.clientConfig(cli.home());
    KafkaClients.useClientConfig(clientConfig);
    Duration timeout = Duration.ofMillis(timeoutMs);
    requireListening(bootstrap, owner);
    try (TopicAdmin admin = TopicAdmin.connect(bootstrap, clientConfig, timeout)) {
      List<String> topics = admin.listTopics();
      if (topics.isEmpty()) {
        out.println("no topics");
        out.flush();
        return 0;
      }
      List<TopicAdmin.TopicSummary> summaries = admin.describe(topics);
      out.printf("%-20s %10s  %s%n", "topic", "partitions", "end offsets");
      for (TopicAdmin.TopicSummary topic : summaries) {
        out.printf(
            "%-20s %10d  %s (total %d)%n",
            topic.name(), topic.partitions(), topic.endOffsets(), topic.totalEndOffset());
      }
      printGroupLags(admin.consumerGroupLags(), out);
      printPolicyVersions(bootstrap, summaries, timeout, out);
    } catch (KafkaAdminException e) {
      out.flush();
      throw new KafkaAdminException(owner + " does not answer: " + e.getMessage(), e);
    }
    out.flush();
    return 0;
  }

  /**
   * Fails at once when no bootstrap address accepts a TCP connection: the admin client would retry
   * a refused connection until its timeout, which a loaded broker needs but a missing one does not.
   */
  private static void requireListening(String bootstrap, String owner) {
    List<String> refused = new ArrayList<>();
    for (String address : bootstrap.split(",")) {
      String trimmed = address.strip();
      int colon = trimmed.lastIndexOf(':');
      if (colon < 0) {
        return;
      }
      String host = trimmed.substring(0, colon).replace("[", "").replace("]", "");
      try (Socket socket = new Socket()) {
        socket.connect(
            new InetSocketAddress(host, Integer.parseInt(trimmed.substring(colon + 1))),
            PROBE_TIMEOUT_MS);
        return;
      } catch (IOException | IllegalArgumentException e) {
        refused.add(trimmed + " (" + e.getMessage() + ")");
      }
    }
    throw new KafkaAdminException(
        owner + " does not answer: nothing accepts connections at " + String.join(", ", refused),
        null);
  }

  private static void printGroupLags(List<TopicAdmin.GroupLag> lags, PrintWriter out) {
    if (lags.isEmpty()) {
      out.println("no consumer group has committed offsets");
      return;
    }
    out.printf(
        "%-24s %-20s %10s %10s %10s%n", "consumer group", "topic", "committed", "end", "lag");
    for (TopicAdmin.GroupLag lag : lags) {
      out.printf(
          "%-24s %-20s %10d %10d %10d%n",
          lag.group(), lag.topic(), lag.committed(), lag.end(), lag.lag());
    }
  }

  /**
   * The newest version announced on {@code checkpoints} and the versions of the newest rollouts:
   * the trainer's policy and what the workers sample with.
   */
  private static void printPolicyVersions(
      String bootstrap, List<TopicAdmin.TopicSummary> topics, Duration timeout, PrintWriter out) {
    Map<String, TopicAdmin.TopicSummary> byName =
        topics.stream().collect(Collectors.toMap(TopicAdmin.TopicSummary::name, t -> t));
    TopicAdmin.TopicSummary checkpoints = byName.get(Topics.CHECKPOINTS);
    if (checkpoints != null) {
      PolicyCheckpoint newest = null;
      for (byte[] value :
          RecentRecords.read(bootstrap, checkpoints, RECENT_PER_PARTITION, timeout)) {
        try {
          PolicyCheckpoint announcement = ANNOUNCEMENTS.decode(value);
          if (newest == null || announcement.getVersion() > newest.getVersion()) {
            newest = announcement;
          }
        } catch (RecordDecodingException e) {
          // Not an announcement: status reports what it can read.
        }
      }
      if (newest == null) {
        out.println("policy: no checkpoint announced yet");
      } else {
        long ageS = (System.currentTimeMillis() - newest.getCreatedAtMs().toEpochMilli()) / 1000;
        out.printf(
            "policy: newest announced v%d, written %d s ago (%s)%n",
            newest.getVersion(), ageS, newest.getUri());
      }
    }
    TopicAdmin.TopicSummary rollouts = byName.get(Topics.ROLLOUTS);
    if (rollouts != null) {
      Map<Long, Integer> versions = new TreeMap<>(java.util.Comparator.reverseOrder());
      int read = 0;
      for (byte[] value : RecentRecords.read(bootstrap, rollouts, RECENT_PER_PARTITION, timeout)) {
        try {
          versions.merge(ROLLOUTS.decode(value).getPolicyVersion(), 1, Integer::sum);
          read++;
        } catch (RecordDecodingException e) {
          // A corrupt record on rollouts (the credit job dead-letters it): not a version.
        }
      }
      if (read == 0) {
        out.println("rollouts: none yet");
      } else {
        out.printf(
            "rollouts: the newest %d were sampled by %s%n",
            read,
            versions.entrySet().stream()
                .map(e -> "v" + e.getKey() + " x" + e.getValue())
                .collect(Collectors.joining(", ")));
      }
    }
  }
}
