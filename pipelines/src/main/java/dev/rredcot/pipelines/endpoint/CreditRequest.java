package dev.rredcot.pipelines.endpoint;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rredcot.model.backend.BankAggregation;
import dev.rredcot.model.tokenizer.Tokenizer;
import dev.rredcot.model.tokenizer.UnmappableTextException;
import dev.rredcot.pipelines.CreditChoice;
import dev.rredcot.pipelines.CreditPipelineOptions;
import dev.rredcot.pipelines.CreditSettings;
import dev.rredcot.pipelines.advantage.AdvantageRule;
import dev.rredcot.pipelines.group.TraceGroup;
import dev.rredcot.pipelines.ingest.RolloutContract;
import dev.rredcot.pipelines.segment.SegmentationStrategy;
import dev.rredcot.pipelines.value.ValueEstimator;
import dev.rredcot.schemas.Rollout;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * One {@code POST /v1/credit} body, read and checked: the group as the {@link Rollout} records the
 * credit job would read for it (one per trace, checked by the same {@link RolloutContract} the
 * job's ingest applies, with the served model's tokenizer), and the {@link CreditSettings} its
 * options resolve to through the credit job's own options ({@link CreditSettings#fromOptions}), so
 * presets, defaults and checks are the job's.
 *
 * <p>Body fields: {@code prompt} (text, or token ids decoded with the model's tokenizer), {@code
 * traces} (each text, token ids, or an object with {@code text} and/or {@code token_ids} and
 * optional {@code entropies}), {@code rewards} (one per trace), {@code task_family}, {@code
 * reference_answer}, optional {@code reference_solution}, {@code group_id} and {@code options}
 * ({@link #OPTIONS}). Unknown fields are refused, so a misspelt one is not silently ignored.
 */
public final class CreditRequest {
  /**
   * The options a request may set: its JSON spelling to the credit job's option of the same meaning
   * (see {@code CreditOptions}, {@code ModelOptions}). Only options of the computation: a request
   * must not point the server at files (checkpoints, task-family files), brokers or batch limits.
   */
  public static final Map<String, String> OPTIONS = options();

  /**
   * {@code options.credit} unless the request sets it: the preset {@code ./rredcot pipeline} uses.
   */
  public static final String DEFAULT_CREDIT = "rredcot";

  private static final Set<String> FIELDS =
      Set.of(
          "group_id",
          "prompt",
          "traces",
          "rewards",
          "task_family",
          "reference_answer",
          "reference_solution",
          "options");
  private static final Set<String> TRACE_FIELDS = Set.of("text", "token_ids", "entropies");

  private final String groupId;
  private final List<Rollout> rollouts;
  private final CreditSettings settings;

  private CreditRequest(String groupId, List<Rollout> rollouts, CreditSettings settings) {
    this.groupId = groupId;
    this.rollouts = List.copyOf(rollouts);
    this.settings = settings;
  }

  private static Map<String, String> options() {
    Map<String, String> options = new LinkedHashMap<>();
    options.put("credit", "credit");
    options.put("credit_method", "creditMethod");
    options.put("value_estimator", "valueEstimator");
    options.put("segmentation", "segmentation");
    options.put("cue_words", "cueWords");
    options.put("fixed_tokens", "fixedTokens");
    options.put("target_segments", "targetSegments");
    options.put("merge_entropy_threshold", "mergeEntropyThreshold");
    options.put("min_tokens_per_segment", "minTokensPerSegment");
    options.put("max_tokens_per_segment", "maxTokensPerSegment");
    options.put("max_segments", "maxSegments");
    options.put("advantage_epsilon", "advantageEpsilon");
    options.put("reweight_strength", "reweightStrength");
    options.put("value_scale", "valueScale");
    options.put("grpo_mix", "grpoMix");
    options.put("answer_cue", "answerCue");
    options.put("reuse_kv_cache", "reuseKvCache");
    options.put("mc_samples", "mcSamples");
    options.put("mc_max_tokens", "mcMaxTokens");
    options.put("bank_aggregation", "bankAggregation");
    return Map.copyOf(options);
  }

  /** What the server contributes to every request: its model, tokenizer and task families. */
  public record Context(
      Tokenizer tokenizer,
      RolloutContract contract,
      String taskFamilies,
      String modelLocation,
      long modelVersion) {}

  /**
   * Reads {@code body}.
   *
   * @param defaultGroupId the group id when the body names none
   * @throws BadCreditRequestException naming the first field that is missing, malformed or breaks
   *     the rollout contract
   */
  public static CreditRequest read(JsonNode body, Context context, String defaultGroupId)
      throws BadCreditRequestException {
    if (body == null || !body.isObject()) {
      throw BadCreditRequestException.of("body", "not-an-object", "the body must be a JSON object");
    }
    for (Iterator<String> names = body.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!FIELDS.contains(name)) {
        throw BadCreditRequestException.of(
            name, "unknown-field", name + " is not a field of a credit request: use " + FIELDS);
      }
    }
    String groupId = body.has("group_id") ? text(body, "group_id") : defaultGroupId;
    String prompt = prompt(body.get("prompt"), context.tokenizer());
    String family = text(body, "task_family");
    String reference = text(body, "reference_answer");
    String solution =
        body.hasNonNull("reference_solution") ? text(body, "reference_solution") : null;
    JsonNode traces = body.get("traces");
    if (traces == null || !traces.isArray()) {
      throw BadCreditRequestException.of(
          "traces", "missing-field", "traces must be a list (text, token ids or objects)");
    }
    JsonNode rewards = body.get("rewards");
    if (rewards == null || !rewards.isArray() || rewards.size() != traces.size()) {
      throw BadCreditRequestException.of(
          "rewards",
          "rewards-length-mismatch",
          "rewards must be a list with one number per trace (" + traces.size() + ")");
    }
    CreditSettings settings = settings(body.get("options"), context);
    List<Rollout> rollouts = new ArrayList<>();
    Instant now = Instant.now();
    for (int i = 0; i < traces.size(); i++) {
      String field = "traces[" + i + "]";
      JsonNode rewardNode = rewards.get(i);
      if (!rewardNode.isNumber()) {
        throw BadCreditRequestException.of(
            "rewards[" + i + "]", "invalid-reward", "rewards[" + i + "] is not a number");
      }
      Trace trace = trace(traces.get(i), field, context.tokenizer());
      List<Float> zeros = new ArrayList<>(trace.tokenIds().size());
      for (int t = 0; t < trace.tokenIds().size(); t++) {
        zeros.add(0f);
      }
      Rollout rollout =
          Rollout.newBuilder()
              .setRolloutId(groupId + "-" + i)
              // One request is one prompt, so the group id names the prompt too.
              .setPromptId(groupId)
              .setGroupId(groupId)
              .setSampleIndex(i)
              .setGroupSize(traces.size())
              // The traces come from the caller's policy, whose version this server cannot know;
              // credit never reads the behaviour version, and the served one is the honest
              // stand-in.
              .setPolicyVersion(context.modelVersion())
              .setTaskFamily(family)
              .setPromptText(prompt)
              .setTokenIds(trace.tokenIds())
              .setText(trace.text())
              // Credit never reads behaviour log-probs (the trainer does); the record requires the
              // field, and 0 breaks none of its invariants.
              .setLogProbs(zeros)
              .setEntropies(trace.entropies())
              .setReferenceAnswer(reference)
              .setReferenceSolution(solution)
              .setReward(rewardNode.asDouble())
              .setCreatedAtMs(now)
              .build();
      Rollout normalised = RolloutContract.normalised(rollout);
      Optional<RolloutContract.Violation> violation = context.contract().firstViolation(normalised);
      if (violation.isPresent()) {
        throw BadCreditRequestException.of(
            requestField(violation.get().field(), i),
            violation.get().reason(),
            violation.get().message());
      }
      rollouts.add(normalised);
    }
    return new CreditRequest(groupId, rollouts, settings);
  }

  public String groupId() {
    return groupId;
  }

  /** The group's rollouts in request order (sample index = position), in Unicode form C. */
  public List<Rollout> rollouts() {
    return rollouts;
  }

  /** The group as the credit job's grouping stage emits it: complete, every trace arrived. */
  public TraceGroup group() {
    return TraceGroup.of(groupId, rollouts.size(), true, rollouts);
  }

  public CreditSettings settings() {
    return settings;
  }

  /** The request field that holds a rollout field of trace {@code index}. */
  private static String requestField(String rolloutField, int index) {
    return switch (rolloutField) {
      case "promptText" -> "prompt";
      case "referenceAnswer" -> "reference_answer";
      case "referenceSolution" -> "reference_solution";
      case "taskFamily" -> "task_family";
      case "reward" -> "rewards[" + index + "]";
      case "groupSize" -> "traces";
      case "entropies" -> "traces[" + index + "].entropies";
      case "rolloutId", "groupId", "promptId" -> "group_id";
      default -> "traces[" + index + "]";
    };
  }

  private record Trace(String text, List<Integer> tokenIds, @Nullable List<Float> entropies) {}

  private static Trace trace(JsonNode node, String field, Tokenizer tokenizer)
      throws BadCreditRequestException {
    if (node.isTextual()) {
      return new Trace(node.asText(), encode(node.asText(), field, tokenizer), null);
    }
    if (node.isArray()) {
      int[] ids = ids(node, field, tokenizer);
      return new Trace(decode(ids, field, tokenizer), boxed(ids), null);
    }
    if (!node.isObject()) {
      throw BadCreditRequestException.of(
          field, "malformed-trace", field + " must be text, token ids or an object");
    }
    for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!TRACE_FIELDS.contains(name)) {
        throw BadCreditRequestException.of(
            field + "." + name,
            "unknown-field",
            name + " is not a field of a trace: use " + TRACE_FIELDS);
      }
    }
    JsonNode textNode = node.get("text");
    JsonNode idsNode = node.get("token_ids");
    if (textNode != null && !textNode.isTextual()) {
      throw BadCreditRequestException.of(field + ".text", "malformed-trace", "text must be text");
    }
    if (textNode == null && idsNode == null) {
      throw BadCreditRequestException.of(
          field, "malformed-trace", field + " needs text, token_ids or both");
    }
    List<Integer> ids;
    String text;
    if (idsNode != null) {
      int[] array = ids(idsNode, field + ".token_ids", tokenizer);
      ids = boxed(array);
      // With both given the contract checks that the ids spell the text, as the job's ingest does.
      text = textNode != null ? textNode.asText() : decode(array, field, tokenizer);
    } else {
      text = textNode.asText();
      ids = encode(text, field, tokenizer);
    }
    List<Float> entropies = null;
    JsonNode entropiesNode = node.get("entropies");
    if (entropiesNode != null && !entropiesNode.isNull()) {
      if (!entropiesNode.isArray()) {
        throw BadCreditRequestException.of(
            field + ".entropies", "malformed-entropies", "entropies must be a list of numbers");
      }
      entropies = new ArrayList<>();
      for (int t = 0; t < entropiesNode.size(); t++) {
        if (!entropiesNode.get(t).isNumber()) {
          throw BadCreditRequestException.of(
              field + ".entropies", "malformed-entropies", "entropies[" + t + "] is not a number");
        }
        entropies.add(entropiesNode.get(t).floatValue());
      }
    }
    return new Trace(text, ids, entropies);
  }

  private static List<Integer> encode(String text, String field, Tokenizer tokenizer)
      throws BadCreditRequestException {
    try {
      return boxed(tokenizer.encode(text));
    } catch (UnmappableTextException e) {
      throw BadCreditRequestException.of(
          field,
          "unmappable-text",
          field + " cannot be written in the served model's tokenizer: " + e.getMessage());
    }
  }

  private static String decode(int[] ids, String field, Tokenizer tokenizer)
      throws BadCreditRequestException {
    try {
      return tokenizer.decode(ids);
    } catch (RuntimeException e) {
      throw BadCreditRequestException.of(
          field,
          "unmappable-tokens",
          field + " does not decode with tokenizer " + tokenizer.name() + ": " + e.getMessage());
    }
  }

  /** Token ids, each an int in the tokenizer's vocabulary (a decoder may not check that). */
  private static int[] ids(JsonNode array, String field, Tokenizer tokenizer)
      throws BadCreditRequestException {
    if (!array.isArray()) {
      throw BadCreditRequestException.of(field, "malformed-tokens", field + " must be token ids");
    }
    int[] ids = new int[array.size()];
    for (int t = 0; t < ids.length; t++) {
      JsonNode id = array.get(t);
      if (!id.isInt() || id.asInt() < 0 || id.asInt() >= tokenizer.vocabSize()) {
        throw BadCreditRequestException.of(
            field,
            "unmappable-tokens",
            field
                + "["
                + t
                + "] = "
                + id
                + " is not an id of the served model's vocabulary of "
                + tokenizer.vocabSize());
      }
      ids[t] = id.asInt();
    }
    return ids;
  }

  private static List<Integer> boxed(int[] ids) {
    List<Integer> list = new ArrayList<>(ids.length);
    for (int id : ids) {
      list.add(id);
    }
    return list;
  }

  private static String prompt(@Nullable JsonNode node, Tokenizer tokenizer)
      throws BadCreditRequestException {
    if (node != null && node.isTextual()) {
      return node.asText();
    }
    if (node != null && node.isArray()) {
      return decode(ids(node, "prompt", tokenizer), "prompt", tokenizer);
    }
    throw BadCreditRequestException.of(
        "prompt", "missing-field", "prompt must be the prompt's text or token ids");
  }

  private static String text(JsonNode body, String field) throws BadCreditRequestException {
    JsonNode node = body.get(field);
    if (node == null || !node.isTextual()) {
      throw BadCreditRequestException.of(field, "missing-field", field + " must be text");
    }
    return node.asText();
  }

  /**
   * The credit settings of {@code options} through the credit job's options: each option is checked
   * alone first, so a bad value names its field; then the whole set through {@link
   * CreditSettings#fromOptions}, whose combination checks name no single field.
   */
  private static CreditSettings settings(@Nullable JsonNode options, Context context)
      throws BadCreditRequestException {
    if (options != null && !options.isNull() && !options.isObject()) {
      throw BadCreditRequestException.of(
          "options", "malformed-options", "options must be an object");
    }
    List<String> args = new ArrayList<>();
    boolean presetGiven = false;
    if (options != null && options.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = options.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> entry = it.next();
        String field = "options." + entry.getKey();
        String property = OPTIONS.get(entry.getKey());
        if (property == null) {
          throw BadCreditRequestException.of(
              field,
              "unknown-option",
              entry.getKey() + " is not an option of a credit request: use " + OPTIONS.keySet());
        }
        String value = optionValue(entry.getValue(), field);
        checkOption(entry.getKey(), value, field);
        String arg = "--" + property + "=" + value;
        try {
          PipelineOptionsFactory.fromArgs(arg).as(CreditPipelineOptions.class);
        } catch (IllegalArgumentException e) {
          throw BadCreditRequestException.of(field, "invalid-option", e.getMessage());
        }
        args.add(arg);
        presetGiven |= entry.getKey().equals("credit");
      }
    }
    if (!presetGiven) {
      args.add("--credit=" + DEFAULT_CREDIT);
    }
    CreditPipelineOptions resolved =
        PipelineOptionsFactory.fromArgs(args.toArray(String[]::new))
            .as(CreditPipelineOptions.class);
    // The served model scores: no checkpoint store is read and no announcements are followed.
    resolved.setWatchCheckpoints(false);
    resolved.setModel(context.modelLocation());
    resolved.setTaskFamilies(context.taskFamilies());
    try {
      return CreditSettings.fromOptions(resolved);
    } catch (IllegalArgumentException e) {
      throw BadCreditRequestException.of("options", "invalid-options", e.getMessage());
    }
  }

  /** Named values are checked here so that an unknown one names its field. */
  private static void checkOption(String key, String value, String field)
      throws BadCreditRequestException {
    Consumer<String> parse =
        switch (key) {
          case "credit" -> CreditChoice.Preset::fromOption;
          case "credit_method" -> AdvantageRule::fromOption;
          case "value_estimator" -> ValueEstimator::fromOption;
          case "segmentation" -> SegmentationStrategy::fromOption;
          case "bank_aggregation" -> BankAggregation::fromOption;
          default -> v -> {};
        };
    try {
      parse.accept(value);
    } catch (IllegalArgumentException e) {
      throw BadCreditRequestException.of(field, "invalid-option", e.getMessage());
    }
  }

  private static String optionValue(JsonNode value, String field) throws BadCreditRequestException {
    if (value.isTextual()) {
      return value.asText();
    }
    if (value.isNumber() || value.isBoolean()) {
      return value.asText();
    }
    if (value.isArray()) {
      List<String> parts = new ArrayList<>();
      for (JsonNode part : value) {
        if (!part.isTextual() || part.asText().contains(",")) {
          throw BadCreditRequestException.of(
              field, "invalid-option", field + " must be a list of texts without commas");
        }
        parts.add(part.asText());
      }
      return String.join(",", parts);
    }
    throw BadCreditRequestException.of(
        field, "invalid-option", field + " must be text, a number, true/false or a list of texts");
  }
}
