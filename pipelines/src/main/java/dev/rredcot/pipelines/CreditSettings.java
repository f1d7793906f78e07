package dev.rredcot.pipelines;

import dev.rredcot.model.backend.BankAggregation;
import dev.rredcot.model.backend.endpoint.EndpointSettings;
import dev.rredcot.model.files.HomeDirectory;
import dev.rredcot.model.loading.BackendKinds;
import dev.rredcot.model.service.KafkaClientConfig;
import dev.rredcot.pipelines.advantage.AdvantageRule;
import dev.rredcot.pipelines.advantage.TokenAdvantages;
import dev.rredcot.pipelines.credit.GroupCreditor;
import dev.rredcot.pipelines.group.GroupRollouts;
import dev.rredcot.pipelines.ingest.ParseRollouts;
import dev.rredcot.pipelines.ingest.RolloutContract;
import dev.rredcot.pipelines.ingest.TokenizerSource;
import dev.rredcot.pipelines.kafka.WriteRecords;
import dev.rredcot.pipelines.segment.SegmentationSettings;
import dev.rredcot.pipelines.segment.SegmentationStrategy;
import dev.rredcot.pipelines.value.ModelSettings;
import dev.rredcot.pipelines.value.ValueEstimator;
import java.io.Serializable;
import java.time.Duration;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The typed, validated configuration of {@link CreditRollouts}. {@link #fromOptions} turns command
 * line options into it and rejects invalid combinations with a message that says what to change.
 */
public final class CreditSettings implements Serializable {
  private static final long serialVersionUID = 1L;

  private final long groupTimeoutMs;
  private final long emittedMarkerTtlMs;
  private final long maxRecordBytes;
  private final long maxOpenGroups;
  private final int maxMessageBytes;
  private final RolloutContract contract;
  private final SegmentationSettings segmentation;
  private final ValueEstimator valueEstimator;
  private final TokenAdvantages.Settings advantages;
  private final @Nullable ModelSettings model;

  private CreditSettings(Builder builder) {
    this.model = builder.model;
    this.groupTimeoutMs = builder.groupTimeoutMs;
    this.emittedMarkerTtlMs = builder.emittedMarkerTtlMs;
    this.maxRecordBytes = builder.maxRecordBytes;
    this.maxOpenGroups = builder.maxOpenGroups;
    this.maxMessageBytes = builder.maxMessageBytes;
    this.contract = builder.contract;
    this.segmentation = builder.segmentation;
    this.valueEstimator = builder.valueEstimator;
    this.advantages = builder.advantages;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Plain GRPO: one segment, group-mean baseline, σ ≡ 1. */
  public static CreditSettings grpo(long groupTimeoutMs, long emittedMarkerTtlMs) {
    return builder()
        .optGroupTimeoutMs(groupTimeoutMs)
        .optEmittedMarkerTtlMs(emittedMarkerTtlMs)
        .build();
  }

  /**
   * Validated settings from options; throws IllegalArgumentException saying which option to fix.
   */
  public static CreditSettings fromOptions(CreditPipelineOptions options) {
    CreditChoice choice = CreditChoice.of(options);
    ValueEstimator estimator = choice.estimator();
    SegmentationSettings segmentation =
        SegmentationSettings.builder()
            .setStrategy(choice.segmentation())
            .optCueWords(
                Arrays.stream(options.getCueWords().split(","))
                    .map(String::trim)
                    .filter(cue -> !cue.isEmpty())
                    .collect(Collectors.toList()))
            .optFixedTokens(options.getFixedTokens())
            .optTargetSegments(options.getTargetSegments())
            .optMergeEntropyThreshold(options.getMergeEntropyThreshold())
            .optMinTokens(options.getMinTokensPerSegment())
            .optMaxTokens(options.getMaxTokensPerSegment())
            .optMaxSegments(options.getMaxSegments())
            .build();
    return builder()
        .optGroupTimeoutMs(options.getGroupTimeoutMs())
        .optEmittedMarkerTtlMs(options.getEmittedMarkerTtlMs())
        .optMaxRecordBytes(options.getMaxRecordBytes())
        .optMaxOpenGroups(options.getMaxOpenGroups())
        .optMaxMessageBytes(options.getMaxMessageBytes())
        .optContract(
            RolloutContract.builder()
                .optGroupSizeRange(options.getMinGroupSize(), options.getMaxGroupSize())
                .optTaskFamilies(options.getTaskFamilies())
                .optTokenizer(contractTokenizer(options))
                .build())
        .optSegmentation(segmentation)
        .optValueEstimator(estimator)
        .optModel(estimator.needsPolicy() ? modelSettings(options) : null)
        .optAdvantages(
            new TokenAdvantages.Settings(
                choice.rule(),
                options.getAdvantageEpsilon(),
                options.getReweightStrength(),
                options.getValueScale(),
                options.getGrpoMix()))
        .build();
  }

  /**
   * The tokenizer the contract decodes token ids with: the one the value stage scores them in and
   * the trainer trains them in. {@code --model-tokenizer} when given, else a {@code --model}
   * directory's, else that of the newest checkpoint of the store ({@code --store}, default
   * $RREDCOT_HOME/checkpoints) that the value stage would load: digests verified and, with trusted
   * keys, signed ({@link #trustedKeysFile}); none (ids not decoded, logged at start) when the store
   * is empty.
   */
  static TokenizerSource contractTokenizer(CreditPipelineOptions options) {
    if (!options.getModelTokenizer().isEmpty()) {
      return TokenizerSource.directory(options.getModelTokenizer());
    }
    if (!options.getModel().isEmpty() && !BackendKinds.isUrl(options.getModel())) {
      return TokenizerSource.directory(options.getModel());
    }
    String dir = options.getCheckpointDir();
    if (dir.isEmpty()) {
      dir = HomeDirectory.checkpoints(HomeDirectory.resolve()).toString();
    }
    return TokenizerSource.directory(dir, trustedKeysFile(options));
  }

  /**
   * The trusted-keys file checkpoints of the store must be signed by: {@code --trusted-keys},
   * default $RREDCOT_HOME/trusted-keys; empty ({@code --trusted-keys=none}) when signatures are not
   * checked.
   */
  static String trustedKeysFile(CreditPipelineOptions options) {
    String trustedKeys = options.getTrustedKeys();
    if (trustedKeys.isEmpty()) {
      return HomeDirectory.trustedKeys(HomeDirectory.resolve()).toString();
    }
    return trustedKeys.equals("none") ? "" : trustedKeys;
  }

  /** Model settings from options; the checkpoint store defaults to $RREDCOT_HOME/checkpoints. */
  static ModelSettings modelSettings(CreditPipelineOptions options) {
    String dir = options.getCheckpointDir();
    if (dir.isEmpty()) {
      dir = HomeDirectory.checkpoints(HomeDirectory.resolve()).toString();
    }
    BankAggregation aggregation;
    try {
      aggregation = BankAggregation.fromOption(options.getBankAggregation());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--bank-aggregation: " + e.getMessage(), e);
    }
    return ModelSettings.builder()
        .setCheckpointDir(dir)
        .optTrustedKeys(trustedKeysFile(options))
        .optVersionsHeld(options.getVersionsHeld())
        .optPinnedVersion(options.getPolicyVersion())
        .optCheckpointAnnouncements(
            options.getWatchCheckpoints() ? options.getBootstrapServers() : "",
            options.getCheckpointsTopic())
        .optCheckpointsClientConfig(
            options.getWatchCheckpoints()
                ? KafkaClientConfig.resolve(options.getKafkaConfig()).asMap()
                : java.util.Map.of())
        .optAnswerCue(options.getAnswerCue())
        .optReuseKvCache(options.getReuseKvCache())
        .optMcSamples(options.getMcSamples())
        .optMcMaxTokens(options.getMcMaxTokens())
        .optBankAggregation(aggregation)
        .optBankGreedyFill(options.getBankGreedyFill())
        .optMaxBatchTraces(options.getMaxBatchTraces())
        .optMaxBatchTokens(options.getMaxBatchTokens())
        .optModel(options.getModel())
        .optModelTokenizer(options.getModelTokenizer())
        .optTaskFamilies(options.getTaskFamilies())
        .optEndpoint(
            EndpointSettings.builder()
                .optBatchSize(options.getEndpointBatchSize())
                .optAllowInsecureHttp(options.getEndpointAllowInsecureHttp())
                .optTimeout(Duration.ofSeconds(options.getEndpointTimeoutSeconds()))
                .optRetries(options.getEndpointRetries())
                .optTokenIdPrompts(options.getEndpointTokenIds())
                .optMaxTokens(options.getEndpointMaxTokens())
                .optEntropyTopK(options.getEndpointEntropyTopK())
                .optMaxContext(options.getEndpointMaxContext())
                .build())
        .build();
  }

  /** The creditor that computes a group's credit with these settings. */
  public GroupCreditor creditor() {
    return GroupCreditor.builder()
        .optSegmentation(segmentation)
        .optValueEstimator(valueEstimator)
        .optModel(model)
        .optAdvantages(advantages)
        .build();
  }

  /** Model settings, or null when the value estimator needs no model. */
  public @Nullable ModelSettings model() {
    return model;
  }

  public long groupTimeoutMs() {
    return groupTimeoutMs;
  }

  public long emittedMarkerTtlMs() {
    return emittedMarkerTtlMs;
  }

  /** Largest rollout record (value bytes) the job takes; larger ones are dead letters at ingest. */
  public long maxRecordBytes() {
    return maxRecordBytes;
  }

  /** Most groups open at once in grouping; more are dead letters ({@code too-many-open-groups}). */
  public long maxOpenGroups() {
    return maxOpenGroups;
  }

  /** Largest message written to Kafka; a credited record that would not fit is a dead letter. */
  public int maxMessageBytes() {
    return maxMessageBytes;
  }

  /** The per-record invariants every rollout must keep at ingest. */
  public RolloutContract contract() {
    return contract;
  }

  public SegmentationSettings segmentation() {
    return segmentation;
  }

  public ValueEstimator valueEstimator() {
    return valueEstimator;
  }

  public TokenAdvantages.Settings advantages() {
    return advantages;
  }

  /** Builder; every setting has a GRPO default. */
  public static final class Builder {
    private long groupTimeoutMs = 60_000;
    private long emittedMarkerTtlMs = 600_000;
    private long maxRecordBytes = ParseRollouts.DEFAULT_MAX_RECORD_BYTES;
    private long maxOpenGroups = GroupRollouts.DEFAULT_MAX_OPEN_GROUPS;
    private int maxMessageBytes = WriteRecords.DEFAULT_MAX_MESSAGE_BYTES;
    private RolloutContract contract = RolloutContract.defaults();
    private SegmentationSettings segmentation = SegmentationSettings.single();
    private ValueEstimator valueEstimator = ValueEstimator.NONE;
    private TokenAdvantages.Settings advantages = TokenAdvantages.Settings.grpo();
    private @Nullable ModelSettings model;

    /** Model settings; required by every estimator but none. */
    public Builder optModel(@Nullable ModelSettings value) {
      this.model = value;
      return this;
    }

    public Builder optGroupTimeoutMs(long value) {
      this.groupTimeoutMs = value;
      return this;
    }

    public Builder optEmittedMarkerTtlMs(long value) {
      this.emittedMarkerTtlMs = value;
      return this;
    }

    /** Largest rollout record in bytes (default {@link ParseRollouts#DEFAULT_MAX_RECORD_BYTES}). */
    public Builder optMaxRecordBytes(long value) {
      this.maxRecordBytes = value;
      return this;
    }

    /** Most open groups (default {@link GroupRollouts#DEFAULT_MAX_OPEN_GROUPS}). */
    public Builder optMaxOpenGroups(long value) {
      this.maxOpenGroups = value;
      return this;
    }

    /** Largest Kafka message (default {@link WriteRecords#DEFAULT_MAX_MESSAGE_BYTES}). */
    public Builder optMaxMessageBytes(int value) {
      this.maxMessageBytes = value;
      return this;
    }

    /** Per-record invariants checked at ingest (default {@link RolloutContract#defaults()}). */
    public Builder optContract(RolloutContract value) {
      this.contract = java.util.Objects.requireNonNull(value, "contract");
      return this;
    }

    public Builder optSegmentation(SegmentationSettings value) {
      this.segmentation = value;
      return this;
    }

    public Builder optValueEstimator(ValueEstimator value) {
      this.valueEstimator = value;
      return this;
    }

    public Builder optAdvantages(TokenAdvantages.Settings value) {
      this.advantages = value;
      return this;
    }

    /** Validates the combination; the message names the option to change. */
    public CreditSettings build() {
      if (groupTimeoutMs <= 0) {
        throw new IllegalArgumentException("--group-timeout-ms must be > 0, got " + groupTimeoutMs);
      }
      if (emittedMarkerTtlMs <= 0) {
        throw new IllegalArgumentException(
            "--emitted-marker-ttl-ms must be > 0, got " + emittedMarkerTtlMs);
      }
      if (maxRecordBytes <= 0) {
        throw new IllegalArgumentException("--max-record-bytes must be > 0, got " + maxRecordBytes);
      }
      if (maxOpenGroups <= 0) {
        throw new IllegalArgumentException("--max-open-groups must be > 0, got " + maxOpenGroups);
      }
      if (valueEstimator == ValueEstimator.NONE
          && segmentation.strategy() != SegmentationStrategy.SINGLE) {
        throw new IllegalArgumentException(
            "--value-estimator=none has state values only for a single segment, but --segmentation="
                + segmentation.strategy().optionValue()
                + ": use --segmentation=single or a model estimator (--value-estimator=answer|bank|mc)");
      }
      if (valueEstimator == ValueEstimator.NONE && advantages.rule() != AdvantageRule.GRPO) {
        throw new IllegalArgumentException(
            "--credit-method="
                + advantages.rule().optionValue()
                + " redistributes rewards over segments, but --value-estimator=none has no segment"
                + " values: use --value-estimator=answer|bank|mc|loo|gradient (or --credit=rredcot)");
      }
      if (valueEstimator.needsPolicy() && model == null) {
        throw new IllegalArgumentException(
            "--value-estimator="
                + valueEstimator.optionValue()
                + " needs the policy: set --store to a checkpoint store");
      }
      return new CreditSettings(this);
    }
  }
}
