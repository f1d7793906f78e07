package dev.rredcot.infra.cli;

import dev.rredcot.infra.config.ConfigDefaults;
import dev.rredcot.infra.kafka.TopicAdmin;
import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.family.BuiltInTask;
import dev.rredcot.model.family.TaskChoice;
import dev.rredcot.model.loading.BackendKinds;
import dev.rredcot.model.service.KafkaClientConfig;
import dev.rredcot.pipelines.BeamFlags;
import dev.rredcot.pipelines.CreditPipelineOptions;
import dev.rredcot.pipelines.CreditSettings;
import dev.rredcot.pipelines.value.ModelSettings;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/**
 * The Beam arguments of a credit-job command: the user's options of the job (kebab-case flags,
 * translated by {@link BeamFlags}), then the configuration file's job options the user did not
 * give, plus the CLI's defaults (Flink runner on the embedded mini-cluster, the local broker) for
 * whatever neither gave. Internally, and in {@link #args()}, options carry Beam's property names.
 */
final class BeamJobArgs {
  private final CommandLine commandLine;
  private final List<String> userArgs;
  private final List<String> fileArgs = new ArrayList<>();
  private final List<String> args;

  /**
   * {@code userArgs} from the command line come first, then the config file's job options the user
   * did not give; the CLI's defaults only fill what neither gave.
   *
   * @throws ParameterException (one line) for an unknown option, an option given twice (under one
   *     name or two) or a project option in Beam's camelCase
   */
  BeamJobArgs(CommandLine commandLine, List<String> userArgs) {
    this.commandLine = commandLine;
    try {
      this.userArgs = List.copyOf(BeamFlags.toBeamArgs(userArgs));
    } catch (IllegalArgumentException e) {
      throw new ParameterException(commandLine, e.getMessage() + beamHelpHint(commandLine), e);
    }
    this.args = new ArrayList<>(this.userArgs);
    Map<String, String> fromFile =
        ConfigDefaults.of(commandLine)
            .map(defaults -> defaults.beamOptions(commandLine.getCommandSpec()))
            .orElse(Map.of());
    fromFile.forEach(
        (name, value) -> {
          if (!givenOnCommandLine(name)) {
            fileArgs.add("--" + name + "=" + value);
          }
        });
    args.addAll(fileArgs);
    if (!given("runner")) {
      args.add("--runner=FlinkRunner");
      if (!given("flinkMaster")) {
        args.add("--flinkMaster=[local]");
      }
    }
  }

  /** Appended to a bad option's message: where the options are listed. */
  private static String beamHelpHint(CommandLine commandLine) {
    return "; `"
        + commandLine.getCommandSpec().qualifiedName()
        + " --beam-help` lists the job's options";
  }

  /**
   * Fails with one line when the command line gives job option {@code beamOption} (by its flag),
   * which this command sets from its own {@code insteadOf}: one concept, one name. (A config file's
   * key for it, shared with {@code pipeline}, is replaced by the command's own option.)
   */
  BeamJobArgs refuse(String beamOption, String insteadOf) {
    if (givenOnCommandLine(beamOption)) {
      throw new ParameterException(
          commandLine,
          "--"
              + BeamFlags.flag(beamOption)
              + ": `"
              + commandLine.getCommandSpec().qualifiedName()
              + "` sets it from "
              + insteadOf
              + ": give that instead");
    }
    return this;
  }

  /** Whether the user (command line or config file) gave {@code --beamOption}. */
  boolean given(String beamOption) {
    return givenOnCommandLine(beamOption) || matches(fileArgs, beamOption);
  }

  private boolean givenOnCommandLine(String beamOption) {
    return matches(userArgs, beamOption);
  }

  private static boolean matches(List<String> list, String beamOption) {
    String prefix = "--" + beamOption;
    return list.stream().anyMatch(arg -> arg.equals(prefix) || arg.startsWith(prefix + "="));
  }

  /** The value the user (command line, else config file) gave {@code --beamOption}, if any. */
  Optional<String> value(String beamOption) {
    String prefix = "--" + beamOption + "=";
    // A name is in one of the two lists only: the file's are those the command line lacks.
    return java.util.stream.Stream.concat(userArgs.stream(), fileArgs.stream())
        .filter(arg -> arg.startsWith(prefix))
        .map(arg -> arg.substring(prefix.length()))
        .reduce((first, last) -> last);
  }

  /**
   * Sets {@code --beamOption=value} from an option of the command itself, unless the user gave the
   * Beam option on the command line: the command's own option decides over the config file's {@code
   * beam} section.
   */
  BeamJobArgs withOverride(String beamOption, Object value) {
    if (!givenOnCommandLine(beamOption)) {
      String prefix = "--" + beamOption;
      fileArgs.removeIf(arg -> arg.equals(prefix) || arg.startsWith(prefix + "="));
      args.removeIf(arg -> arg.equals(prefix) || arg.startsWith(prefix + "="));
      args.add(prefix + "=" + value);
    }
    return this;
  }

  /** Whether the job runs on Flink (the CLI's default runner). */
  boolean runsOnFlink() {
    return value("runner").map(runner -> runner.endsWith("FlinkRunner")).orElse(!given("runner"));
  }

  /** Adds {@code --beamOption=value} unless the user gave the option. */
  BeamJobArgs withDefault(String beamOption, Object value) {
    if (!given(beamOption)) {
      args.add("--" + beamOption + "=" + value);
    }
    return this;
  }

  /**
   * Adds {@code --kafkaConfig=FILE} for a client config read from a file, unless the user gave the
   * option (the job reads the file itself; without it the job reads {@code $RREDCOT_KAFKA_CONFIG}).
   */
  BeamJobArgs withKafkaConfig(KafkaClientConfig config) {
    return config.source().isEmpty() ? this : withDefault("kafkaConfig", config.source());
  }

  List<String> args() {
    return List.copyOf(args);
  }

  /** Parses and validates the options; a bad option is a usage error (exit code 2). */
  CreditPipelineOptions parse() {
    PipelineOptionsFactory.register(CreditPipelineOptions.class);
    try {
      return PipelineOptionsFactory.fromArgs(args.toArray(String[]::new))
          .withValidation()
          .as(CreditPipelineOptions.class);
    } catch (IllegalArgumentException e) {
      // Beam's messages can span lines (a list of close names); the first says what is wrong.
      throw new ParameterException(commandLine, e.getMessage().lines().findFirst().orElse(""), e);
    }
  }

  /**
   * Fails fast with what to do when the job talks to Kafka (it reads or writes a topic, or follows
   * checkpoint announcements) and no broker answers ({@link BootstrapOption#requireReachable}).
   */
  static void requireBrokerIfUsed(CreditPipelineOptions options) {
    boolean filesOnly =
        !options.getInputFiles().isEmpty()
            && !options.getOutputFiles().isEmpty()
            && !options.getWatchCheckpoints();
    if (!filesOnly) {
      BootstrapOption.requireReachable(options.getBootstrapServers());
    }
  }

  /**
   * Creates the job's output topic when it does not exist, with the input topic's partitions (one
   * when the input is files), and says so: a missing topic would fail the job's first write only
   * after the producer's metadata wait.
   */
  static void createOutputTopic(CreditPipelineOptions options, PrintWriter console) {
    try (TopicAdmin admin =
        TopicAdmin.connect(options.getBootstrapServers(), Duration.ofSeconds(30))) {
      int partitions =
          !options.getInputFiles().isEmpty()
              ? 1
              : admin.describe(List.of(options.getInputTopic())).get(0).partitions();
      // Asked first: on a secured broker the credit job may write its topic but not create one,
      // and Kafka refuses even the creation of a topic that exists to whom may not create.
      if (admin.listTopics().contains(options.getOutputTopic())) {
        return;
      }
      if (!admin.createTopics(List.of(options.getOutputTopic()), partitions, Map.of()).isEmpty()) {
        console.printf(
            "created topic %s with %d partitions%n", options.getOutputTopic(), partitions);
      }
    }
  }

  /**
   * When the job's credit needs the policy and its checkpoint store holds none yet (a fresh local
   * stack), puts the shipped initial policy there as version 0, and says so.
   */
  static void ensurePolicy(CreditPipelineOptions options, PrintWriter out) throws IOException {
    ensurePolicy(options, TaskChoice.parse(BuiltInTask.ARITH.familyName()), out);
  }

  /**
   * When the job's credit needs the policy and its checkpoint store holds none yet, puts the
   * shipped policy of {@code task} there as version 0, and says so; warns when the newest policy
   * cannot write {@code task}'s problems (their records would become {@code unmappable-tokens} dead
   * letters).
   */
  static void ensurePolicy(CreditPipelineOptions options, TaskChoice task, PrintWriter out)
      throws IOException {
    if (!CreditSettings.fromOptions(options).valueEstimator().needsPolicy()) {
      return;
    }
    if (!options.getModel().isEmpty() && !BackendKinds.isUrl(options.getModel())) {
      // A model directory brings its own tokenizer; the store is not used.
      return;
    }
    CheckpointStore store = new CheckpointStore(Path.of(options.getCheckpointDir()), 8);
    if (store.versions().isEmpty()) {
      task.materialiseShipped(store, "pipeline");
      out.printf(
          "no policy in %s yet: using the shipped %s policy as version 0%n",
          store.root(), task.shippedPolicyName());
    }
    long pinned = options.getPolicyVersion();
    if (pinned != ModelSettings.NOT_PINNED) {
      List<Long> versions = store.versions();
      if (!versions.contains(pinned)) {
        throw new IllegalStateException(
            "--policy-version "
                + pinned
                + ": the checkpoint store "
                + store.root()
                + " does not hold it (it holds "
                + versions
                + ")");
      }
      out.printf("scoring every rollout with policy version %d of %s%n", pinned, store.root());
    } else {
      Optional<Checkpoint> newest = store.newestVerified();
      Optional<String> unwritable =
          newest.isPresent() ? task.unwritable(newest.get()) : Optional.empty();
      if (unwritable.isPresent()) {
        out.printf(
            "warning: the policy v%d in %s cannot write %s problems (%s): their records will be"
                + " unmappable-tokens dead letters; point --store at a store with a %s"
                + " policy%n",
            newest.get().version(), store.root(), task.name(), unwritable.get(), task.name());
      }
    }
    out.flush();
  }

  /** Prints the job's options by flag: the credit job's, the runners' (Flink's) and Beam's. */
  static void printBeamHelp(PrintWriter out) {
    BeamFlags.printHelp(out);
  }

  /** Prints a bounded run's counters, one per line. */
  static void printCounters(PrintWriter out, Map<String, Long> counters) {
    for (Map.Entry<String, Long> counter : counters.entrySet()) {
      out.printf("  %-40s %d%n", counter.getKey(), counter.getValue());
    }
    out.flush();
  }
}
