package dev.rredcot.infra.flink;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Flink configuration ({@code config.yaml}) and JVM options of the standalone session cluster:
 * loopback listeners, the memory Flink's scripts would otherwise compute for a TaskManager, the
 * job's JVM flags, state directories under the cluster's home and the Prometheus reporter.
 */
public final class FlinkClusterConfig {
  /** Flink settings that bind a cluster's listeners (REST, RPC, blob server, data) to 127.0.0.1. */
  public static final Map<String, String> LOOPBACK = loopback();

  /** Flink's Prometheus reporter, loaded from the cluster's classpath. */
  static final String PROMETHEUS_FACTORY =
      "org.apache.flink.metrics.prometheus.PrometheusReporterFactory";

  private static final String LOCALHOST = "127.0.0.1";
  // TaskManager memory besides the task heap, as Flink's scripts would size a small TaskManager.
  private static final int FRAMEWORK_HEAP_MB = 128;
  private static final int MANAGED_MB = 128;
  private static final int FRAMEWORK_OFF_HEAP_MB = 128;
  private static final int TASK_OFF_HEAP_MB = 0;
  // Per slot: a batch job at parallelism 4 on two 2-slot TaskManagers needs more than 2048 buffers
  // of 32 KB per TaskManager for its shuffles (64m in all failed with "Insufficient number of
  // network buffers").
  private static final int NETWORK_MB_PER_SLOT = 64;
  private static final int METASPACE_MB = 256;
  private static final int JVM_OVERHEAD_MB = 192;
  private static final String SLOT_TIMEOUT = "60 s";
  // Of this JVM's flags, those the cluster's JVMs need too: Avro's trusted packages (Beam's Kafka
  // checkpoint marks and the records), DJL offline, and the JDK 17 opens of Flink's Kryo.
  private static final List<String> INHERITED_FLAG_PREFIXES =
      List.of("--add-opens", "-Dorg.apache.avro.", "-Dai.djl.");

  private FlinkClusterConfig() {}

  private static Map<String, String> loopback() {
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put("rest.bind-address", LOCALHOST);
    settings.put("rest.address", LOCALHOST);
    settings.put("jobmanager.rpc.address", LOCALHOST);
    // Also the blob server's bind address.
    settings.put("jobmanager.bind-host", LOCALHOST);
    settings.put("taskmanager.bind-host", LOCALHOST);
    settings.put("taskmanager.host", LOCALHOST);
    return Map.copyOf(settings);
  }

  /**
   * The cluster's configuration: {@code settings}, the JobManager's RPC port, and state, temporary
   * files and uploads under {@code layout}.
   */
  static Map<String, String> configuration(
      FlinkClusterSettings settings, int rpcPort, FlinkClusterLayout layout) {
    Map<String, String> config = new LinkedHashMap<>(new java.util.TreeMap<>(LOOPBACK));
    config.put("jobmanager.rpc.port", Integer.toString(rpcPort));
    config.put("rest.port", Integer.toString(settings.restPort()));
    config.put("taskmanager.numberOfTaskSlots", Integer.toString(settings.slots()));
    config.put("parallelism.default", "1");
    // DJL and JNA from the cluster's class loader: their native libraries load once per JVM, so a
    // second job (its own class loader) could not load PyTorch's again ("Failed to load PyTorch
    // native library") if each job loaded DJL from its jar.
    config.put("classloader.parent-first-patterns.additional", "ai.djl.;com.sun.jna.");
    config.put("taskmanager.cpu.cores", Integer.toString(settings.slots()));
    config.put("taskmanager.memory.framework.heap.size", mb(FRAMEWORK_HEAP_MB));
    config.put("taskmanager.memory.task.heap.size", mb(settings.taskHeapMb()));
    config.put("taskmanager.memory.managed.size", mb(MANAGED_MB));
    config.put("taskmanager.memory.framework.off-heap.size", mb(FRAMEWORK_OFF_HEAP_MB));
    config.put("taskmanager.memory.task.off-heap.size", mb(TASK_OFF_HEAP_MB));
    config.put("taskmanager.memory.network.min", mb(networkMb(settings)));
    config.put("taskmanager.memory.network.max", mb(networkMb(settings)));
    config.put("taskmanager.memory.jvm-metaspace.size", mb(METASPACE_MB));
    config.put("taskmanager.memory.jvm-overhead.min", mb(JVM_OVERHEAD_MB));
    config.put("taskmanager.memory.jvm-overhead.max", mb(JVM_OVERHEAD_MB));
    config.put("jobmanager.memory.heap.size", mb(settings.jobManagerHeapMb()));
    // A restarted TaskManager offers its slots to the recovering job; on a loaded machine the
    // JobManager took longer than Flink's default 10 s to deploy into an offered slot, the
    // TaskManager freed it ("has no more allocated slots for job ... (timeoutSlot)") and the job
    // failed over once more (docs/BENCHMARKS.md, Reliability).
    config.put("taskmanager.slot.timeout", SLOT_TIMEOUT);
    config.put("state.checkpoints.dir", layout.checkpointsDir().toUri().toString());
    config.put("state.savepoints.dir", layout.savepointsDir().toUri().toString());
    config.put("io.tmp.dirs", layout.tmpDir().toString());
    config.put("web.tmpdir", layout.tmpDir().resolve("web").toString());
    config.put("web.upload.dir", layout.tmpDir().resolve("uploads").toString());
    // Flink's own scripts (bin/*.sh) would start the JVMs with these; rredcot passes them itself.
    config.put("env.java.opts.all", String.join(" ", inheritedJvmFlags()));
    if (!settings.prometheusPorts().isEmpty()) {
      config.put("metrics.reporter.prom.factory.class", PROMETHEUS_FACTORY);
      config.put("metrics.reporter.prom.port", settings.prometheusPorts());
    }
    return config;
  }

  /** The configuration as {@code config.yaml} (flat keys, every value a quoted string). */
  static String yaml(Map<String, String> config) {
    StringBuilder yaml =
        new StringBuilder("# Written by rredcot flink up; rewritten on every start.\n");
    config.forEach(
        (key, value) ->
            yaml.append(key)
                .append(": \"")
                .append(value.replace("\\", "\\\\").replace("\"", "\\\""))
                .append("\"\n"));
    return yaml.toString();
  }

  /**
   * JVM options of a TaskManager: heap, direct memory and metaspace as configured, and the flags.
   */
  static List<String> taskManagerJvmOptions(FlinkClusterSettings settings) {
    List<String> options = new ArrayList<>();
    int heap = FRAMEWORK_HEAP_MB + settings.taskHeapMb();
    options.add("-Xmx" + heap + "m");
    options.add("-Xms" + heap + "m");
    options.add(
        "-XX:MaxDirectMemorySize="
            + (FRAMEWORK_OFF_HEAP_MB + TASK_OFF_HEAP_MB + networkMb(settings))
            + "m");
    options.add("-XX:MaxMetaspaceSize=" + METASPACE_MB + "m");
    options.addAll(inheritedJvmFlags());
    return options;
  }

  /** JVM options of the JobManager. */
  static List<String> jobManagerJvmOptions(FlinkClusterSettings settings) {
    List<String> options = new ArrayList<>();
    options.add("-Xmx" + settings.jobManagerHeapMb() + "m");
    options.addAll(inheritedJvmFlags());
    return options;
  }

  /** The flags of this JVM (set by the launcher or the build) that the cluster's JVMs need. */
  static List<String> inheritedJvmFlags() {
    return ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .filter(flag -> INHERITED_FLAG_PREFIXES.stream().anyMatch(flag::startsWith))
        .toList();
  }

  private static int networkMb(FlinkClusterSettings settings) {
    return NETWORK_MB_PER_SLOT * settings.slots();
  }

  private static String mb(int megabytes) {
    return megabytes + "m";
  }
}
