package dev.rredcot.infra.cli;

import dev.rredcot.infra.flink.FlinkClasspath;
import dev.rredcot.infra.flink.FlinkCluster;
import dev.rredcot.infra.flink.FlinkClusterSettings;
import dev.rredcot.infra.flink.FlinkRest;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code rredcot flink up|status|down}: a standalone Flink session cluster on this machine. */
@Command(
    name = "flink",
    mixinStandardHelpOptions = true,
    description = {
      "A standalone Flink session cluster on 127.0.0.1: a JobManager and TaskManagers, each a"
          + " background JVM started from Flink's own entry points; configuration, logs and pid"
          + " files under $RREDCOT_HOME/flink.",
      "Submit the credit job to it with: rredcot pipeline --flink-master=127.0.0.1:REST_PORT"
    },
    subcommands = {FlinkCommand.Up.class, FlinkCommand.Status.class, FlinkCommand.Down.class})
final class FlinkCommand implements Runnable {
  @ParentCommand RredcotCli cli;
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  private FlinkCluster cluster() {
    return new FlinkCluster(cli.home().flinkClusterDir());
  }

  /** {@code rredcot flink up}: starts the cluster and waits for its TaskManagers. */
  @Command(
      name = "up",
      mixinStandardHelpOptions = true,
      description = {
        "Start the JobManager (REST and web UI on 127.0.0.1:--rest-port) and --taskmanagers"
            + " TaskManagers with --slots task slots each, and wait until all registered.",
        "With --prometheus-ports FROM-TO every process reports its metrics (the job's Beam"
            + " counters and distributions included) to Prometheus on the first free port of the"
            + " range. Off by default: Flink's reporter listens on every network interface."
      })
  static final class Up implements Callable<Integer> {
    @ParentCommand FlinkCommand flink;
    @Spec CommandSpec spec;

    @Option(
        names = "--rest-port",
        defaultValue = "8081",
        description = "REST and web UI port (default: ${DEFAULT-VALUE}).")
    int restPort;

    @Option(
        names = "--taskmanagers",
        defaultValue = "1",
        description = "TaskManager JVMs (default: ${DEFAULT-VALUE}).")
    int taskManagers;

    @Option(
        names = "--slots",
        defaultValue = "2",
        description = "Task slots per TaskManager (default: ${DEFAULT-VALUE}).")
    int slots;

    @Option(
        names = "--prometheus-ports",
        defaultValue = FlinkClusterSettings.DEFAULT_PROMETHEUS_PORTS,
        paramLabel = "FROM-TO",
        description =
            "Prometheus reporter ports, one per process, e.g. 9250-9260 (default: off; the"
                + " reporter binds every interface, not only loopback).")
    String prometheusPorts;

    @Option(
        names = "--taskmanager-heap-mb",
        defaultValue = "1024",
        description = "Task heap of each TaskManager in MB (default: ${DEFAULT-VALUE}).")
    int taskHeapMb;

    @Option(
        names = "--start-timeout-ms",
        defaultValue = "180000",
        description = "How long to wait for every TaskManager (default: ${DEFAULT-VALUE}).")
    long startTimeoutMs;

    @Override
    public Integer call() {
      FlinkClusterSettings settings =
          FlinkClusterSettings.builder()
              .optRestPort(restPort)
              .optTaskManagers(taskManagers)
              .optSlots(slots)
              .optPrometheusPorts(prometheusPorts)
              .optTaskHeapMb(taskHeapMb)
              .optStartTimeout(Duration.ofMillis(startTimeoutMs))
              .build();
      PrintWriter out = spec.commandLine().getOut();
      FlinkCluster cluster = flink.cluster();
      FlinkCluster.UpResult result = cluster.up(settings, FlinkClasspath.ofThisJvm());
      FlinkCluster.Running running = result.cluster();
      out.printf(
          "%s at http://%s (REST and web UI)%n",
          result.alreadyRunning() ? "Flink cluster already running" : "Flink cluster up",
          running.restAddress());
      printProcesses(out, running, cluster);
      out.printf(
          "Prometheus reporter: %s; submit with: rredcot pipeline --flink-master=%s%n",
          running.prometheusPorts().isEmpty()
              ? "off (--prometheus-ports FROM-TO)"
              : "first free port of " + running.prometheusPorts() + " per process, every interface",
          running.restAddress());
      out.flush();
      return 0;
    }
  }

  /** {@code rredcot flink status}: the cluster's TaskManagers, slots and jobs from its REST API. */
  @Command(
      name = "status",
      mixinStandardHelpOptions = true,
      description = "Show the cluster's processes, TaskManagers, slots and jobs (REST API).")
  static final class Status implements Callable<Integer> {
    @ParentCommand FlinkCommand flink;
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      FlinkCluster cluster = flink.cluster();
      Optional<FlinkCluster.Running> running = cluster.running();
      if (running.isEmpty()) {
        out.printf("Flink cluster: not running (home %s)%n", cluster.layout().root());
        out.flush();
        return 0;
      }
      out.printf("Flink cluster: running, REST http://%s%n", running.get().restAddress());
      printProcesses(out, running.get(), cluster);
      FlinkRest rest = new FlinkRest(running.get().restAddress());
      try {
        FlinkRest.Overview overview = rest.overview();
        out.printf(
            "Flink %s: %d TaskManagers, %d slots (%d free); jobs: %d running, %d finished, %d"
                + " cancelled, %d failed%n",
            overview.flinkVersion(),
            overview.taskManagers(),
            overview.slotsTotal(),
            overview.slotsAvailable(),
            overview.jobsRunning(),
            overview.jobsFinished(),
            overview.jobsCancelled(),
            overview.jobsFailed());
        for (FlinkRest.Job job : rest.jobs()) {
          out.printf(
              "  job %s  %-9s %6.1f s  %s%n",
              job.id(), job.state(), job.durationMs() / 1000.0, job.name());
        }
      } catch (UncheckedIOException e) {
        out.printf("REST API does not answer: %s%n", e.getMessage());
        out.flush();
        return RredcotCli.EXIT_FAILURE;
      }
      out.flush();
      return 0;
    }
  }

  /** {@code rredcot flink down}: stops every process of the cluster. */
  @Command(
      name = "down",
      mixinStandardHelpOptions = true,
      description =
          "Stop the cluster's TaskManagers and JobManager (SIGTERM, then SIGKILL after"
              + " --timeout-ms); running jobs stop with them (take a savepoint first to keep"
              + " their state).")
  static final class Down implements Callable<Integer> {
    @ParentCommand FlinkCommand flink;
    @Spec CommandSpec spec;

    @Option(
        names = "--timeout-ms",
        defaultValue = "30000",
        description = "Wait after SIGTERM before SIGKILL (default: ${DEFAULT-VALUE}).")
    long timeoutMs;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      FlinkCluster.DownResult result = flink.cluster().down(Duration.ofMillis(timeoutMs));
      if (result.stopped().isEmpty()) {
        out.println("Flink cluster: not running");
      } else {
        out.printf(
            "Flink cluster stopped: pids %s%s%n",
            result.stopped(),
            result.killed() > 0 ? " (" + result.killed() + " needed SIGKILL)" : "");
      }
      out.flush();
      return 0;
    }
  }

  private static void printProcesses(
      PrintWriter out, FlinkCluster.Running running, FlinkCluster cluster) {
    for (Map.Entry<String, Long> process : running.pids().entrySet()) {
      out.printf(
          "  %-14s pid %-7d log %s%n",
          process.getKey(), process.getValue(), cluster.layout().logFile(process.getKey()));
    }
  }
}
