package dev.rredcot.infra.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Settings of a {@link FloodBenchmark}.
 *
 * @param outputDir the run directory; each arm runs in {@code outputDir/cap-<n>}
 * @param floodGroups distinct single-member groups in the flood
 * @param goodGroupsDuring complete groups interleaved with the flood
 * @param goodGroupsAfter complete groups sent once the flood is accounted and the cap has had two
 *     group timeouts to forget it
 * @param groupSize the group size every group declares (the flood's groups never complete)
 * @param caps the credit job's {@code --max-open-groups}, one arm each, in order
 * @param groupTimeoutMs the credit job's {@code --group-timeout-ms}
 * @param checkpointIntervalMs the credit job's {@code --checkpointing-interval}
 * @param sampleEvery how often the job's heap (after a full collection) and checkpoints are read
 * @param settleTimeout how long the flood may take from its first record to the last id accounted
 *     before the arm fails
 * @param jobArgs further options of the credit job, as for {@code rredcot pipeline}
 */
public record FloodBenchmarkSettings(
    Path outputDir,
    int floodGroups,
    int goodGroupsDuring,
    int goodGroupsAfter,
    int groupSize,
    List<Long> caps,
    long groupTimeoutMs,
    long checkpointIntervalMs,
    Duration sampleEvery,
    Duration settleTimeout,
    List<String> jobArgs) {

  /**
   * @throws IllegalArgumentException when a count, size, cap or duration is out of range, or a cap
   *     is named twice
   */
  public FloodBenchmarkSettings {
    caps = List.copyOf(caps);
    jobArgs = List.copyOf(jobArgs);
    if (floodGroups < 1 || goodGroupsDuring < 0 || goodGroupsAfter < 0) {
      throw new IllegalArgumentException(
          "--groups must be at least 1, --good-groups and --good-groups-after at least 0");
    }
    if (groupSize < 2) {
      throw new IllegalArgumentException(
          "--group-size must be at least 2: a group of one is complete at its first rollout");
    }
    if (caps.isEmpty()
        || caps.stream().anyMatch(cap -> cap < 1)
        || caps.stream().distinct().count() != caps.size()) {
      throw new IllegalArgumentException("--caps: name each cap (>= 1) once, at least one");
    }
    if (groupTimeoutMs < 1
        || checkpointIntervalMs < 1
        || sampleEvery.isNegative()
        || sampleEvery.isZero()
        || settleTimeout.isNegative()
        || settleTimeout.isZero()) {
      throw new IllegalArgumentException(
          "the group timeout, the checkpoint interval, the sampling interval and the settle"
              + " timeout must be positive");
    }
    for (String arg : jobArgs) {
      for (String owned :
          List.of("--max-open-groups", "--group-timeout-ms", "--checkpointing-interval")) {
        if (arg.startsWith(owned + "=") || arg.equals(owned)) {
          throw new IllegalArgumentException(
              owned
                  + " is set by the benchmark itself: use its own option (--caps,"
                  + " --group-timeout-ms, --checkpoint-interval-ms)");
        }
      }
    }
  }
}
