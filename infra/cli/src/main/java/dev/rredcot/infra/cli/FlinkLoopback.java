package dev.rredcot.infra.cli;

import dev.rredcot.infra.flink.FlinkClusterConfig;
import dev.rredcot.model.files.OwnerOnlyFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Keeps the listeners of the embedded Flink mini-cluster ({@code --flink-master=[local]}) on
 * loopback: its REST endpoint, RPC and blob server would otherwise bind to every interface. The CLI
 * writes a {@code flink-conf.yaml} with the bind addresses and passes {@code --flink-conf-dir}
 * unless the user gave one (which is how to open them up).
 */
final class FlinkLoopback {
  /** Flink settings that bind the mini-cluster's listeners to 127.0.0.1. */
  static final Map<String, String> SETTINGS = FlinkClusterConfig.LOOPBACK;

  private FlinkLoopback() {}

  /**
   * Adds {@code --flink-conf-dir=confDir} (after writing the loopback settings there) when the job
   * runs on the embedded Flink mini-cluster and the user gave no configuration directory.
   */
  static BeamJobArgs applyDefaults(BeamJobArgs args, Path confDir) {
    boolean embedded =
        args.runsOnFlink() && args.value("flinkMaster").map("[local]"::equals).orElse(true);
    if (!embedded || args.given("flinkConfDir")) {
      return args;
    }
    StringBuilder yaml =
        new StringBuilder(
            "# Written by rredcot: the embedded Flink cluster listens on loopback.\n");
    new java.util.TreeMap<>(SETTINGS)
        .forEach((key, value) -> yaml.append(key).append(": ").append(value).append('\n'));
    // Two retained checkpoints per job, so a resume whose newest _metadata does not read falls back
    // to the one just before it (FlinkCheckpointing.latestRetained) rather than to an earlier run.
    yaml.append("state.checkpoints.num-retained: 2\n");
    try {
      OwnerOnlyFiles.createDirectories(confDir);
      Files.writeString(confDir.resolve("flink-conf.yaml"), yaml, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the Flink configuration in " + confDir, e);
    }
    return args.withDefault("flinkConfDir", confDir);
  }
}
