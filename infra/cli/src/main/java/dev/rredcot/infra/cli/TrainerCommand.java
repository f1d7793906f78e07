package dev.rredcot.infra.cli;

import dev.rredcot.infra.evaluation.StartingPolicy;
import dev.rredcot.infra.kafka.ClientRole;
import dev.rredcot.model.backend.PolicyBackend;
import dev.rredcot.model.checkpoint.CheckpointSigningKey;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.family.BuiltInTask;
import dev.rredcot.model.family.TaskChoice;
import dev.rredcot.model.files.HomeDirectory;
import dev.rredcot.model.loading.BackendKinds;
import dev.rredcot.model.loading.PolicyCheckpoints;
import dev.rredcot.model.policy.AdvantageScale;
import dev.rredcot.model.policy.PolicyUpdateOptions;
import dev.rredcot.model.policy.TrainablePolicy;
import dev.rredcot.model.tokenizer.Tokenizer;
import dev.rredcot.model.trainer.StalenessMode;
import dev.rredcot.model.trainer.TrainerOptions;
import dev.rredcot.model.trainer.TrainerService;
import dev.rredcot.model.trainer.TrainerStats;
import dev.rredcot.schemas.Topics;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code rredcot trainer}: the streaming GRPO trainer as a long-running process. */
@Command(
    name = "trainer",
    mixinStandardHelpOptions = true,
    description = {
      "Run the trainer until SIGTERM or Ctrl-C: read credited-rollouts, train on batches of"
          + " complete groups, write every new policy to the checkpoint store with its progress"
          + " and announce it on checkpoints. Restarting resumes from the newest verified"
          + " checkpoint without retraining or skipping a record; one trainer per store (the"
          + " store is locked). An empty store starts from the shipped policy of --task, or"
          + " from --model DIR (the built-in policy or a Llama-family model, which it then trains"
          + " and writes back as Hugging Face directories).",
      "Offsets covered by each checkpoint are committed to the consumer group (for"
          + " kafka-consumer-groups); trained rollouts are listed in --trained-log."
    })
final class TrainerCommand implements Callable<Integer> {
  @ParentCommand RredcotCli cli;
  @Spec CommandSpec spec;
  @Mixin BootstrapOption bootstrapOption = BootstrapOption.forRole(ClientRole.TRAINER);
  @Mixin TaskOption taskOption;
  @Mixin MetricsOption metricsOption;
  @Mixin CheckpointTrustOption trustOption;

  @Option(
      names = "--signing-key",
      paramLabel = "FILE",
      description =
          "Ed25519 key that signs every checkpoint manifest; generated (0600, public half in"
              + " FILE.pub) when missing (default: $RREDCOT_HOME/keys/checkpoint-signing.key).")
  Path signingKey;

  @Option(
      names = "--store",
      paramLabel = "DIR",
      description = "Checkpoint store (default: $RREDCOT_HOME/checkpoints).")
  Path store;

  @Option(
      names = "--model",
      paramLabel = "DIR",
      description =
          "Seed an empty store with this model as version 0 and train it: a built-in checkpoint,"
              + " a Hugging Face Llama-family directory or a llama2.c checkpoint, e.g."
              + " models/babyllama-tok105 with --task infra/examples/babyllama-continue.jsonl."
              + " Ignored when the store holds checkpoints (the trainer resumes from them).")
  Path model;

  @Option(
      names = "--progress",
      paramLabel = "DIR",
      description = "Progress directory (default: <store>-progress beside the store).")
  Path progress;

  @Option(
      names = "--trained-log",
      paramLabel = "FILE",
      description = "Trained-rollouts TSV (default: <store>/trained-rollouts.tsv).")
  Path trainedLog;

  @Option(
      names = "--keep",
      defaultValue = "8",
      description = "Checkpoints kept (default ${DEFAULT-VALUE}).")
  int keep;

  @Option(
      names = "--batch-groups",
      defaultValue = "8",
      description = "Complete groups per optimiser step, B (default ${DEFAULT-VALUE}).")
  int batchGroups;

  @Option(
      names = "--partial-batch-after",
      defaultValue = "0",
      description =
          "Seconds without a record after which the complete groups there are are trained even if"
              + " fewer than B, so a finite stream's last groups are trained (default"
              + " ${DEFAULT-VALUE}: always wait for B).")
  double partialBatchAfterS;

  @Option(
      names = "--staleness",
      defaultValue = "" + TrainerOptions.DEFAULT_STALENESS_BOUND,
      description =
          "Hard staleness bound S: rollouts more than S versions behind are dropped and counted"
              + " stale; those within it are trained, importance-weighted against the policy that"
              + " sampled them (default ${DEFAULT-VALUE}).")
  int staleness;

  @Option(
      names = "--in-flight-budget",
      arity = "1",
      paramLabel = "true|false",
      defaultValue = "true",
      description =
          "Publish the in-flight budget on topic rollout-budget: the count of credited rollouts"
              + " read and the limit (S + 1)·B groups that workers admit prompts against"
              + " (default ${DEFAULT-VALUE}; false: workers that follow a budget sample"
              + " nothing).")
  boolean inFlightBudget;

  @Option(
      names = "--in-flight-staleness",
      defaultValue = "1",
      description =
          "S of the in-flight budget: rollouts sampled and not yet read stay within (S + 1)·B"
              + " groups for all workers together (default ${DEFAULT-VALUE}; below --staleness"
              + " leaves a version of slack for workers adopting a checkpoint).")
  int inFlightStaleness;

  @Option(
      names = "--in-flight-write-off-after",
      defaultValue = "120",
      description =
          "Seconds with rollouts in flight but neither a new claim nor a credited rollout after"
              + " which they are written off as lost before the trainer (dead-lettered by the"
              + " credit job), so the budget reopens (default ${DEFAULT-VALUE}; 0: never).")
  double inFlightWriteOffAfterS;

  @Option(
      names = "--learning-rate",
      defaultValue = "5e-5",
      description = "Adam learning rate (default ${DEFAULT-VALUE}).")
  double learningRate;

  @Option(
      names = "--kl-coefficient",
      defaultValue = "0",
      description =
          "Weight of the per-token k3 KL penalty to --kl-reference added to the objective"
              + " (docs/METHOD.md, the trainer's objective; default ${DEFAULT-VALUE}: off).")
  double klCoefficient;

  @Option(
      names = "--kl-reference",
      paramLabel = "DIR|shipped",
      description =
          "The frozen model the KL penalty measures against: a model or checkpoint directory"
              + " (what --model opens), or 'shipped' for the shipped policy of --task. Needed with"
              + " --kl-coefficient > 0; it must share the trained policy's tokenizer.")
  String klReference;

  @Option(
      names = "--advantage-scale",
      defaultValue = "as-given",
      description =
          "How each batch's token advantages are scaled before the step: as-given, or batch-rms"
              + " (divided by their root mean square over the batch, GRPO's step size for rules"
              + " whose advantages are redistributed rewards, e.g. rredcot-rudder; docs/METHOD.md)"
              + " (default ${DEFAULT-VALUE}).")
  String advantageScale;

  @Option(
      names = "--group",
      defaultValue = "rredcot-trainer",
      description = "Consumer group the checkpointed offsets go to (default ${DEFAULT-VALUE}).")
  String group;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    metricsOption.validate(spec);
    cli.logToFiles("trainer");
    if (keep < 1
        || batchGroups < 1
        || staleness < 0
        || inFlightStaleness < 0
        || !(inFlightWriteOffAfterS >= 0)
        || !(learningRate > 0)
        || !(partialBatchAfterS >= 0)
        || !(klCoefficient >= 0)) {
      throw new ParameterException(
          spec.commandLine(),
          "--keep and --batch-groups must be positive, --staleness, --in-flight-staleness,"
              + " --in-flight-write-off-after, --partial-batch-after and --kl-coefficient >= 0,"
              + " --learning-rate > 0");
    }
    if ((klCoefficient > 0) != (klReference != null)) {
      throw new ParameterException(
          spec.commandLine(),
          "--kl-coefficient > 0 and --kl-reference go together (a penalty needs a reference, a"
              + " reference is only read for a penalty)");
    }
    Path root = store != null ? store : cli.home().checkpointsDir();
    Path keyFile = signingKey != null ? signingKey : HomeDirectory.signingKey(cli.home().root());
    CheckpointSigningKey key = CheckpointSigningKey.loadOrGenerate(keyFile);
    // Resuming verifies the store with the readers' rule plus this trainer's own key: a version
    // planted by someone else is set aside, never trained on.
    CheckpointStore checkpoints =
        new CheckpointStore(root, keep, trustOption.resolve(cli.home())).withSigner(key);
    out.printf(
        "trainer: signing checkpoints with key %s (%s); readers trust %s%n",
        key.keyId(), keyFile, CheckpointSigningKey.publicFile(keyFile));
    if (checkpoints.versions().isEmpty() && model != null) {
      String seeded = seedWithModel(spec, checkpoints, model, taskOption.resolve(spec));
      out.printf("trainer: empty store %s; starting from %s as version 0%n", root, seeded);
    } else if (model != null) {
      out.printf(
          "trainer: store %s holds checkpoints, resuming from them (--model %s seeds only an"
              + " empty store)%n",
          root, model);
    }
    if (checkpoints.versions().isEmpty()) {
      TaskChoice task = taskOption.resolve(spec);
      try {
        task.materialiseShipped(checkpoints, "trainer");
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), e.getMessage());
      }
      out.printf(
          "trainer: empty store %s; starting from the shipped %s policy%n",
          root, task.shippedPolicyName());
    }
    PolicyBackend reference = klReference == null ? null : openReference(klReference);
    try {
      return run(out, root, checkpoints, reference);
    } finally {
      if (reference != null) {
        reference.close();
      }
    }
  }

  private Integer run(
      PrintWriter out, Path root, CheckpointStore checkpoints, PolicyBackend reference)
      throws Exception {
    PolicyUpdateOptions.Builder trainBuilder =
        PolicyUpdateOptions.builder()
            .optLearningRate(learningRate)
            .optClipEpsilon(TrainerOptions.defaultTrainOptions().clipEpsilon())
            .optAdvantageScale(advantageScale(spec, advantageScale));
    if (reference != null) {
      trainBuilder.optKlPenalty(klCoefficient, reference);
      out.printf(
          "trainer: KL penalty %s to %s%n",
          Double.toString(klCoefficient), reference.description());
    }
    PolicyUpdateOptions train = trainBuilder.build();
    if (reference != null) {
      try {
        // Before the broker (TrainerCore checks again at open, for callers that build it
        // directly): the store's newest policy is the one the trainer resumes.
        train.requireReferenceReads(Tokenizer.load(checkpoints.latest().orElseThrow().dir()));
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), "--kl-reference: " + e.getMessage());
      }
    }
    TrainerService.Builder builder =
        TrainerService.builder()
            .setBootstrapServers(bootstrapOption.resolveReachable(cli.home()))
            .setCheckpointStore(checkpoints)
            .optConsumerGroup(group)
            .optOptions(
                TrainerOptions.builder()
                    .optBatchGroups(batchGroups)
                    .optStaleness(staleness, StalenessMode.DROP)
                    .optTrainOptions(train)
                    .optPartialBatchAfterMs(Math.round(partialBatchAfterS * 1000))
                    .build());
    if (inFlightBudget) {
      builder.optInFlightBudget(
          Topics.ROLLOUT_BUDGET,
          inFlightStaleness,
          Duration.ofMillis(Math.round(inFlightWriteOffAfterS * 1000)));
    }
    if (progress != null) {
      builder.optProgressDir(progress);
    }
    if (trainedLog != null) {
      builder.optTrainedRolloutLog(trainedLog);
    }
    TrainerService trainer = builder.build();
    trainer.start();
    out.printf(
        "trainer: policy v%d from %s; reading credited-rollouts at %s (group %s); SIGTERM or"
            + " Ctrl-C stops it%n",
        trainer.stats().policyVersion(), root, bootstrapOption.resolve(cli.home()), group);
    out.flush();
    return ServiceProcess.run(
        "trainer", trainer, metricsOption, () -> TrainerCommand.summary(trainer.stats()), out);
  }

  /** The KL reference: the shipped policy of --task, or what {@code --model} would open. */
  private PolicyBackend openReference(String value) throws IOException {
    try {
      if (value.equals("shipped")) {
        BuiltInTask task =
            taskOption.resolve(spec).requireBuiltIn("trainer --kl-reference shipped");
        return PolicyCheckpoints.load(
            StartingPolicy.resolve(
                Optional.empty(), StartingPolicy.initialPolicyStore(cli.home()), task));
      }
      return BackendKinds.open(Path.of(value));
    } catch (IllegalArgumentException | IOException e) {
      throw new ParameterException(
          spec.commandLine(), "--kl-reference " + value + ": " + e.getMessage(), e);
    }
  }

  /**
   * Writes the model in {@code dir} into the empty store as version 0 (signed like every checkpoint
   * the trainer writes); returns its description.
   */
  static String seedWithModel(
      CommandSpec spec, CheckpointStore checkpoints, Path dir, TaskChoice task) throws IOException {
    PolicyBackend opened = BackendKinds.open(dir);
    TrainablePolicy trainable;
    try {
      trainable = PolicyCheckpoints.trainable(opened);
    } catch (IllegalArgumentException e) {
      opened.close();
      throw new ParameterException(spec.commandLine(), "--model " + dir + ": " + e.getMessage());
    }
    // The trainable policy owns the opened model.
    try (trainable) {
      Optional<String> unwritable = task.unwritable(trainable.tokenizer());
      if (unwritable.isPresent()) {
        throw new ParameterException(
            spec.commandLine(),
            "--model "
                + dir
                + " cannot write "
                + task.name()
                + " problems ("
                + unwritable.get()
                + "): give a --task its tokenizer can write");
      }
      trainable.save(checkpoints, 0, null, Map.of());
      return opened.description();
    }
  }

  private static String summary(TrainerStats stats) {
    return String.format(
        Locale.ROOT,
        "policy v%d, %d steps, %d rollouts trained of %d read, %d duplicates, stale %s,"
            + " dead letters %s",
        stats.policyVersion(),
        stats.steps(),
        stats.rolloutsTrained(),
        stats.rolloutsConsumed(),
        stats.duplicatesIgnored(),
        stats.staleByReason(),
        stats.deadLettersByReason());
  }

  /** The {@code --advantage-scale} value: {@code as-given} or {@code batch-rms}. */
  static AdvantageScale advantageScale(CommandSpec spec, String value) {
    return switch (value) {
      case "as-given" -> AdvantageScale.AS_GIVEN;
      case "batch-rms" -> AdvantageScale.BATCH_RMS;
      default ->
          throw new ParameterException(
              spec.commandLine(),
              "--advantage-scale: unknown value '" + value + "' (use as-given or batch-rms)");
    };
  }
}
