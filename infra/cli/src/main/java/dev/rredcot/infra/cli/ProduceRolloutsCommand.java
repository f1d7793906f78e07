package dev.rredcot.infra.cli;

import dev.rredcot.infra.kafka.ClientRole;
import dev.rredcot.infra.synthetic.ContractCorpus;
import dev.rredcot.infra.synthetic.CorruptRecords;
import dev.rredcot.infra.synthetic.SyntheticRollouts;
import dev.rredcot.model.backend.BackendCapability;
import dev.rredcot.model.backend.PolicyBackend;
import dev.rredcot.model.family.BuiltInTask;
import dev.rredcot.model.family.TaskChoice;
import dev.rredcot.model.loading.BackendKinds;
import dev.rredcot.model.rollout.GeneratedBatch;
import dev.rredcot.model.rollout.RolloutGenerator;
import dev.rredcot.model.rollout.TaskFeeder;
import dev.rredcot.model.service.KafkaClients;
import dev.rredcot.model.task.ArithmeticTask;
import dev.rredcot.schemas.RecordCodec;
import dev.rredcot.schemas.Rollout;
import dev.rredcot.schemas.Topics;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.apache.avro.file.DataFileWriter;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code rredcot produce-rollouts}: writes rollout groups (and corrupt records): synthetic ones, or
 * sampled by a model directory and verified by the family's reward ({@code --model}).
 *
 * <p>Usage: {@code rredcot produce-rollouts --model models/babyllama-tok105 --task
 * infra/examples/babyllama-stories.jsonl --count 16}
 */
@Command(
    name = "produce-rollouts",
    mixinStandardHelpOptions = true,
    description = {
      "Write synthetic Rollout records to the rollouts topic: arithmetic problems answered by a"
          + " noisy solver (some traces wrong), or with --task countdown countdown problems"
          + " answered by a search that takes a dooming move at --step-error-rate; full GRPO"
          + " groups keyed by group id. Credit countdown rollouts with a countdown policy in the"
          + " pipeline's --store (see `pipeline --task`).",
      "Log-probs are synthetic (no model). With --corrupt, also write records that do not decode.",
      "With --model DIR, a model samples the rollouts instead, of any --task family its tokenizer"
          + " can write (JSONL families included): G samples per problem, verified by the"
          + " family's reward, with the model's log-probs, entropies and version, in groups and"
          + " ids as a rollout worker writes them.",
      "With --corpus contract, write --count good rollouts with, between their groups, one"
          + " contract-breaking record or group per invariant the credit job enforces (bytes that"
          + " do not decode, one broken field per record invariant, one broken group per"
          + " cross-record invariant) and a redelivered good record; it prints what the job must"
          + " credit and dead-letter (docs/OPERATIONS.md, \"The contract corpus\")."
    })
final class ProduceRolloutsCommand implements Callable<Integer> {
  private static final int PROGRESS_BAR_MIN_RECORDS = 1000;

  @ParentCommand RredcotCli cli;
  @Spec CommandSpec spec;
  @Mixin BootstrapOption bootstrapOption = BootstrapOption.forRole(ClientRole.WORKER);
  @Mixin TaskOption taskOption;

  @Option(
      names = "--count",
      required = true,
      paramLabel = "N",
      description = "Rollouts to write; a multiple of --group-size.")
  int count;

  @Option(
      names = "--group-size",
      defaultValue = "4",
      paramLabel = "G",
      description = "Samples per prompt (default: ${DEFAULT-VALUE}).")
  int groupSize;

  @Option(
      names = "--corrupt",
      defaultValue = "0",
      paramLabel = "K",
      description = "Also write K corrupt records (random bytes, truncated Avro, plain text).")
  int corrupt;

  @Option(
      names = "--seed",
      paramLabel = "S",
      description = "Seed; the same seed gives the same ids and traces (default: random, printed).")
  Long seed;

  @Option(
      names = "--step-error-rate",
      defaultValue = "0.15",
      description =
          "Probability that the solver writes a step wrong (countdown: takes a dooming move)"
              + " (default: ${DEFAULT-VALUE}).")
  double stepErrorRate;

  @Option(
      names = "--policy-version",
      defaultValue = "0",
      description = "Policy version stamped on the rollouts (default: ${DEFAULT-VALUE}).")
  long policyVersion;

  @Option(
      names = "--corpus",
      paramLabel = "NAME",
      description = "contract: the contract corpus (above); --count counts its good rollouts.")
  String corpus;

  @Option(
      names = "--corpus-max-record-bytes",
      defaultValue = "0",
      paramLabel = "BYTES",
      description =
          "With --corpus: also write a record larger than BYTES, for a job run with"
              + " --max-record-bytes=BYTES (at least 524288: smaller limits would catch other"
              + " cases); 0: none (default: ${DEFAULT-VALUE}).")
  long corpusMaxRecordBytes;

  @Option(
      names = "--model",
      paramLabel = "DIR",
      description =
          "Sample the rollouts with this model instead of writing synthetic ones: a model"
              + " directory that generates (built-in checkpoint or store, TorchScript export,"
              + " Hugging Face Llama-family directory, llama2.c checkpoint), e.g."
              + " models/babyllama-tok105 with --task infra/examples/babyllama-stories.jsonl.")
  String model;

  @Option(
      names = "--temperature",
      defaultValue = "1.0",
      description = "With --model: sampling temperature (default: ${DEFAULT-VALUE}).")
  double temperature;

  @Option(
      names = "--max-tokens",
      defaultValue = "64",
      description = "With --model: most tokens per trace (default: ${DEFAULT-VALUE}).")
  int maxTokens;

  @Option(
      names = "--out-file",
      paramLabel = "FILE",
      description =
          "With --model: write the rollouts to this Avro container file of Rollout records (what"
              + " `replay --input-files` reads) instead of the topic; no broker is needed.")
  Path outFile;

  @Option(
      names = "--topic",
      defaultValue = Topics.ROLLOUTS,
      description = "Topic to write to (default: ${DEFAULT-VALUE}).")
  String topic;

  @Override
  public Integer call() throws Exception {
    if (groupSize < 1) {
      throw new ParameterException(spec.commandLine(), "--group-size must be at least 1");
    }
    if (corrupt < 0) {
      throw new ParameterException(spec.commandLine(), "--corrupt must not be negative");
    }
    try {
      SyntheticRollouts.requireFullGroups(count, groupSize);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--count: " + e.getMessage());
    }
    long usedSeed = seed != null ? seed : System.nanoTime() & 0xFFFFFFFL;
    if (model != null) {
      return writeSampled(usedSeed);
    }
    for (String sampling : List.of("--temperature", "--max-tokens", "--out-file")) {
      if (spec.commandLine().getParseResult().hasMatchedOption(sampling)) {
        throw new ParameterException(
            spec.commandLine(), sampling + " is for rollouts sampled by a model (--model DIR)");
      }
    }
    if (taskOption.resolve(spec).builtIn().isEmpty()) {
      throw new ParameterException(
          spec.commandLine(),
          "synthetic rollouts are of arith or countdown only; "
              + taskOption.resolve(spec).name()
              + " is a JSONL family: sample its rollouts with a model that can write it, --model"
              + " DIR");
    }
    if (corpus != null) {
      if (!corpus.equals("contract")) {
        throw new ParameterException(spec.commandLine(), "--corpus: the only corpus is contract");
      }
      ContractCorpus contract;
      try {
        contract =
            ContractCorpus.generate(usedSeed, count / groupSize, groupSize, corpusMaxRecordBytes);
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), e.getMessage());
      }
      return writeCorpus(contract, usedSeed);
    }
    SyntheticRollouts rollouts =
        SyntheticRollouts.builder()
            .optSeed(usedSeed)
            .optGroupSize(groupSize)
            .optStepErrorRate(stepErrorRate)
            .optPolicyVersion(policyVersion)
            .optTask(
                taskOption.resolveBuiltIn(spec) == BuiltInTask.COUNTDOWN
                    ? BuiltInTask.COUNTDOWN.trained()
                    : ArithmeticTask.defaults())
            .build();
    String bootstrap = bootstrapOption.resolveReachable(cli.home());
    RecordCodec<Rollout> codec = RecordCodec.of(Rollout.class);
    AtomicReference<Exception> sendFailure = new AtomicReference<>();
    int groups = count / groupSize;
    long correct = 0;
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerProps(bootstrap));
        ProgressBar progress = progressBar(count + corrupt)) {
      Rollout template = null;
      for (int group = 0; group < groups && sendFailure.get() == null; group++) {
        for (Rollout rollout : rollouts.group(group)) {
          template = template == null ? rollout : template;
          correct += rollout.getReward() == 1.0 ? 1 : 0;
          producer.send(
              new ProducerRecord<>(topic, rollout.getGroupId(), codec.encode(rollout)),
              (metadata, error) -> {
                if (error != null) {
                  sendFailure.compareAndSet(null, error);
                }
              });
          step(progress);
        }
      }
      List<CorruptRecords.CorruptRecord> corruptRecords =
          CorruptRecords.generate(corrupt, usedSeed, template);
      for (int i = 0; i < corruptRecords.size(); i++) {
        producer
            .send(new ProducerRecord<>(topic, "corrupt-" + i, corruptRecords.get(i).value()))
            .get(30, TimeUnit.SECONDS);
        step(progress);
      }
      producer.flush();
    } catch (ExecutionException e) {
      sendFailure.compareAndSet(null, (Exception) e.getCause());
    } catch (TimeoutException e) {
      sendFailure.compareAndSet(null, e);
    }
    if (sendFailure.get() != null) {
      throw new IllegalStateException(
          "cannot write to " + topic + " at " + bootstrap + ": " + sendFailure.get().getMessage(),
          sendFailure.get());
    }
    PrintWriter out = spec.commandLine().getOut();
    out.printf(
        "wrote %d rollouts (%d groups of %d, seed %d, %.0f%% correct) to %s at %s%n",
        count, groups, groupSize, usedSeed, 100.0 * correct / count, topic, bootstrap);
    if (corrupt > 0) {
      out.printf("wrote %d corrupt records (keys corrupt-0..corrupt-%d)%n", corrupt, corrupt - 1);
    }
    out.flush();
    return 0;
  }

  /**
   * Writes {@code --count} rollouts sampled by {@code --model}: group g is G samples of problem
   * {@code seed + g} of {@code --task}, made by the rollout worker's own {@link RolloutGenerator}.
   */
  private int writeSampled(long usedSeed) throws Exception {
    for (String synthetic : List.of("--corpus", "--step-error-rate", "--policy-version")) {
      if (spec.commandLine().getParseResult().hasMatchedOption(synthetic)) {
        throw new ParameterException(
            spec.commandLine(),
            synthetic
                + " is for synthetic rollouts; with --model the model samples the rollouts and"
                + " they carry its version");
      }
    }
    if (BackendKinds.isUrl(model)) {
      throw new ParameterException(
          spec.commandLine(),
          "--model: a completions server does not generate here; give a model directory");
    }
    if (groupSize < 2) {
      throw new ParameterException(
          spec.commandLine(), "--group-size must be at least 2 with --model (a GRPO group)");
    }
    TaskChoice task = taskOption.resolve(spec);
    RolloutGenerator generator;
    try {
      generator =
          new RolloutGenerator(
              List.of(task.family()), groupSize, temperature, maxTokens, Instant::now);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    if (outFile != null && corrupt > 0) {
      throw new ParameterException(
          spec.commandLine(),
          "--corrupt goes to a topic only: a file of Rollout records cannot hold corrupt bytes");
    }
    PrintWriter out = spec.commandLine().getOut();
    int groups = count / groupSize;
    long correct = 0;
    String description;
    String bootstrap = bootstrapOption.resolve(cli.home());
    List<Rollout> rollouts = new ArrayList<>();
    // The model first: what is wrong with it is a usage error, before the broker is looked for.
    try (PolicyBackend policy = openModel(task)) {
      if (outFile == null) {
        bootstrapOption.resolveReachable(cli.home()); // before sampling, not after
      }
      description = policy.description();
      out.printf(
          "sampling %d groups of %d %s rollouts with %s (version %d)%n",
          groups, groupSize, task.name(), description, policy.version());
      out.flush();
      for (int group = 0; group < groups; group++) {
        GeneratedBatch batch =
            generator.generate(
                policy, List.of(TaskFeeder.prompt(task.family(), usedSeed + group, 0)));
        if (!batch.rejected().isEmpty()) {
          throw new IllegalStateException(
              "the generator refused a prompt of " + task.name() + ": " + batch.rejected());
        }
        rollouts.addAll(batch.rollouts());
      }
    }
    for (Rollout rollout : rollouts) {
      correct += rollout.getReward() == 1.0 ? 1 : 0;
    }
    String destination;
    if (outFile != null) {
      writeFile(rollouts);
      destination = outFile.toString();
    } else {
      send(rollouts, CorruptRecords.generate(corrupt, usedSeed, rollouts.get(0)), bootstrap);
      destination = topic + " at " + bootstrap;
    }
    out.printf(
        "wrote %d rollouts (%d groups of %d, seed %d, %.0f%% correct) sampled by %s to %s%n",
        count, groups, groupSize, usedSeed, 100.0 * correct / count, description, destination);
    if (corrupt > 0) {
      out.printf("wrote %d corrupt records (keys corrupt-0..corrupt-%d)%n", corrupt, corrupt - 1);
    }
    out.flush();
    return 0;
  }

  /** Writes {@code rollouts}, keyed by group id, and then {@code corruptRecords} to the topic. */
  private void send(
      List<Rollout> rollouts, List<CorruptRecords.CorruptRecord> corruptRecords, String bootstrap)
      throws InterruptedException {
    RecordCodec<Rollout> codec = RecordCodec.of(Rollout.class);
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerProps(bootstrap))) {
      List<Future<RecordMetadata>> acks = new ArrayList<>();
      for (Rollout rollout : rollouts) {
        acks.add(
            producer.send(
                new ProducerRecord<>(topic, rollout.getGroupId(), codec.encode(rollout))));
      }
      for (int i = 0; i < corruptRecords.size(); i++) {
        acks.add(
            producer.send(
                new ProducerRecord<>(topic, "corrupt-" + i, corruptRecords.get(i).value())));
      }
      for (Future<RecordMetadata> ack : acks) {
        ack.get(30, TimeUnit.SECONDS);
      }
    } catch (ExecutionException | TimeoutException e) {
      Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
      throw new IllegalStateException(
          "cannot write to " + topic + " at " + bootstrap + ": " + cause.getMessage(), cause);
    }
  }

  /** Writes {@code rollouts} to {@code --out-file}, an Avro container of Rollout records. */
  private void writeFile(List<Rollout> rollouts) throws IOException {
    Path parent = outFile.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    try (DataFileWriter<Rollout> writer =
        new DataFileWriter<>(new SpecificDatumWriter<>(Rollout.class))) {
      writer.create(Rollout.getClassSchema(), outFile.toFile());
      for (Rollout rollout : rollouts) {
        writer.append(rollout);
      }
    }
  }

  /**
   * Opens {@code --model}; a directory that holds no model, a model that does not generate or one
   * whose tokenizer cannot write the family is a usage error.
   */
  private PolicyBackend openModel(TaskChoice task) {
    PolicyBackend policy;
    try {
      policy = BackendKinds.open(Path.of(model));
    } catch (IOException e) {
      throw new ParameterException(spec.commandLine(), "--model: " + e.getMessage());
    }
    Optional<String> problem =
        policy.supports(BackendCapability.GENERATION)
            ? task.unwritable(policy.tokenizer())
                .map(why -> "cannot write " + task.name() + " problems (" + why + ")")
            : Optional.of("does not generate");
    if (problem.isPresent()) {
      policy.close();
      throw new ParameterException(
          spec.commandLine(), "--model: " + policy.description() + " " + problem.get());
    }
    return policy;
  }

  private int writeCorpus(ContractCorpus corpus, long usedSeed) throws Exception {
    String bootstrap = bootstrapOption.resolve(cli.home());
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerProps(bootstrap))) {
      List<Future<RecordMetadata>> acks = new ArrayList<>();
      for (ContractCorpus.Entry entry : corpus.entries()) {
        acks.add(
            producer.send(
                new ProducerRecord<>(
                    topic, new String(entry.key(), StandardCharsets.UTF_8), entry.value())));
      }
      for (Future<RecordMetadata> ack : acks) {
        ack.get(30, TimeUnit.SECONDS);
      }
    } catch (ExecutionException e) {
      throw new IllegalStateException(
          "cannot write to " + topic + " at " + bootstrap + ": " + e.getCause().getMessage(),
          e.getCause());
    }
    Map<String, Integer> byReason = new TreeMap<>();
    corpus.entries().stream()
        .filter(e -> e.outcome() == ContractCorpus.Outcome.DEAD_LETTER)
        .forEach(e -> byReason.merge(e.stage() + "/" + e.reason(), 1, Integer::sum));
    PrintWriter out = spec.commandLine().getOut();
    out.printf(
        "wrote the contract corpus (seed %d) to %s at %s: %d records; the job must credit %d"
            + " rollouts once each (one is also sent twice) and write %d dead letters, for %d"
            + " reasons:%n",
        usedSeed,
        topic,
        bootstrap,
        corpus.entries().size(),
        corpus.creditedIds().size(),
        corpus.deadLetterCount(),
        byReason.size());
    byReason.forEach((reason, n) -> out.printf("  %-45s %d%n", reason, n));
    out.flush();
    return 0;
  }

  private static Properties producerProps(String bootstrap) {
    Properties props = new Properties();
    props.setProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.setProperty(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    props.setProperty(
        ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    // Retries never duplicate or reorder a group's records.
    props.setProperty(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    props.setProperty(ProducerConfig.ACKS_CONFIG, "all");
    props.setProperty(ProducerConfig.LINGER_MS_CONFIG, "5");
    props.setProperty(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    // An unreachable broker fails the command within these bounds instead of hanging.
    props.setProperty(ProducerConfig.MAX_BLOCK_MS_CONFIG, "15000");
    props.setProperty(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
    props.setProperty(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "30000");
    props.setProperty(ProducerConfig.CLIENT_ID_CONFIG, "rredcot-produce-rollouts");
    return KafkaClients.secured(props);
  }

  private static ProgressBar progressBar(int total) {
    if (total < PROGRESS_BAR_MIN_RECORDS) {
      return null;
    }
    return new ProgressBarBuilder()
        .setTaskName("produce")
        .setInitialMax(total)
        .setStyle(ProgressBarStyle.ASCII)
        .setUnit(" rec", 1)
        .build();
  }

  private static void step(ProgressBar progress) {
    if (progress != null) {
      progress.step();
    }
  }
}
