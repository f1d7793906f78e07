package dev.rredcot.infra.cli;

import dev.rredcot.infra.evaluation.EvaluationTask;
import dev.rredcot.infra.kafka.ClientRole;
import dev.rredcot.infra.synthetic.ContractCorpus;
import dev.rredcot.infra.synthetic.CorruptRecords;
import dev.rredcot.infra.synthetic.SyntheticRollouts;
import dev.rredcot.model.service.KafkaClients;
import dev.rredcot.model.task.ArithmeticTask;
import dev.rredcot.schemas.RecordCodec;
import dev.rredcot.schemas.Rollout;
import dev.rredcot.schemas.Topics;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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

/** {@code rredcot produce-rollouts}: writes synthetic rollout groups (and corrupt records). */
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
                taskOption.resolveBuiltIn(spec) == EvaluationTask.COUNTDOWN
                    ? EvaluationTask.COUNTDOWN.trained()
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
