package dev.rredcot.infra.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;

/**
 * Submission of the credit job to a Flink cluster ({@code --flink-master=HOST:PORT}, the cluster's
 * REST address): Beam's FlinkRunner builds the job here and stages the self-contained job jar
 * ({@code pipelines/target/rredcot-credit-job.jar}) instead of this JVM's classpath. A bounded run
 * is followed to its end; an unbounded one is submitted detached and keeps running on the cluster.
 */
final class FlinkSubmission {
  /** The shaded job jar, relative to the project's root; {@code mvn package} builds it. */
  static final String JOB_JAR = "pipelines/target/rredcot-credit-job.jar";

  /** System property naming the job jar (tests; a jar kept elsewhere). */
  static final String JOB_JAR_PROPERTY = "rredcot.jobJar";

  private static final Set<String> EMBEDDED = Set.of("[local]", "[auto]", "[collection]");

  private FlinkSubmission() {}

  /** Whether the job goes to a Flink cluster rather than to an embedded one. */
  static boolean toCluster(BeamJobArgs args) {
    return args.runsOnFlink()
        && args.value("flinkMaster").map(master -> !EMBEDDED.contains(master)).orElse(false);
  }

  /**
   * For a job that goes to a cluster: names it {@code jobName} and stages the job jar unless the
   * user gave {@code --files-to-stage}, and submits an unbounded job detached unless the user gave
   * {@code --attached-mode}.
   *
   * @throws IllegalStateException when the job jar has not been built
   */
  static BeamJobArgs applyDefaults(BeamJobArgs args, String jobName, boolean bounded) {
    if (!toCluster(args)) {
      return args;
    }
    // The name the cluster's REST API and web UI list the job under.
    args.withDefault("jobName", jobName);
    args.withDefault("filesToStage", jobJar());
    if (!bounded) {
      args.withDefault("attachedMode", false);
    }
    return args;
  }

  /**
   * Before a job goes to a cluster with the default job jar: fails with how to build it when it is
   * missing.
   *
   * @throws IllegalStateException when the job jar has not been built
   */
  static void requireJobJar(BeamJobArgs args) {
    if (toCluster(args) && !args.given("filesToStage") && !Files.isRegularFile(jobJar())) {
      throw new IllegalStateException(
          "the job jar "
              + jobJar()
              + " is missing: build it with `mvn -B -DskipTests package -pl pipelines -am`");
    }
  }

  /** The job jar: {@code -Drredcot.jobJar}, else {@link #JOB_JAR} next to the launcher or here. */
  static Path jobJar() {
    String configured = System.getProperty(JOB_JAR_PROPERTY);
    if (configured != null && !configured.isBlank()) {
      return Path.of(configured).toAbsolutePath();
    }
    Path root =
        Optional.ofNullable(System.getProperty("rredcot.launcher"))
            .map(launcher -> Path.of(launcher).toAbsolutePath().getParent())
            .orElse(Path.of("").toAbsolutePath());
    return root.resolve(JOB_JAR).normalize();
  }
}
