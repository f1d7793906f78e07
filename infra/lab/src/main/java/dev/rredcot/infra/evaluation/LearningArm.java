package dev.rredcot.infra.evaluation;

import dev.rredcot.model.policy.AdvantageScale;
import dev.rredcot.pipelines.advantage.AdvantageRule;
import java.util.ArrayList;
import java.util.List;

/**
 * One arm of the learning comparison: an advantage rule and the values that feed it, named {@code
 * grpo} (the baseline) or {@code <rule>:<values>} with the rule's short name ({@code reweight,
 * dense, rudder}) and a {@link ValueSource} name, e.g. {@code rudder:bank}, {@code rudder:mc16},
 * {@code dense:reach*mc8}. Names are stable summary keys. A rule written {@code <rule>-rms} (e.g.
 * {@code rudder-rms:bank}) trains on each batch's advantages divided by their token root mean
 * square ({@link AdvantageScale#BATCH_RMS}): the same credit at GRPO's step size.
 *
 * @param name summary key
 * @param rule advantage rule
 * @param values where the rule's state values come from; {@link ValueSource#none()} for GRPO
 * @param scale how each training batch's advantages are scaled before the step
 */
public record LearningArm(
    String name, AdvantageRule rule, ValueSource values, AdvantageScale scale) {

  /** Suffix of a rule whose batches are scaled to token RMS 1. */
  public static final String RMS_SUFFIX = "-rms";

  /** Name of the arm every other arm is compared with. */
  public static final String BASELINE = "grpo";

  /** GRPO: flat credit, no model call. */
  public static LearningArm grpo() {
    return new LearningArm(
        BASELINE, AdvantageRule.GRPO, ValueSource.none(), AdvantageScale.AS_GIVEN);
  }

  /** {@code rule} on {@code values}, named {@code <rule>:<values>}. */
  public static LearningArm of(AdvantageRule rule, ValueSource values) {
    return of(rule, values, AdvantageScale.AS_GIVEN);
  }

  /**
   * {@code rule} on {@code values} with batches scaled by {@code scale}, named {@code
   * <rule>[-rms]:<values>}.
   */
  public static LearningArm of(AdvantageRule rule, ValueSource values, AdvantageScale scale) {
    String ruleName = rule.shortName() + (scale == AdvantageScale.BATCH_RMS ? RMS_SUFFIX : "");
    return new LearningArm(ruleName + ":" + values.name(), rule, values, scale);
  }

  /**
   * The arm called {@code name}: {@code grpo} or {@code <rule>:<values>}; the error lists the valid
   * forms.
   */
  public static LearningArm parse(String name) {
    String trimmed = name.trim();
    if (trimmed.equals(BASELINE)) {
      return grpo();
    }
    int colon = trimmed.indexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException(
          "unknown arm '"
              + trimmed
              + "': use grpo or <rule>:<values> with rule reweight, dense, rudder, rudder-anchored, rudder-calibrated or rudder-calibrated-prior (e.g."
              + " rudder:bank, rudder:mc16, dense:reach*mc8)");
    }
    String ruleName = trimmed.substring(0, colon);
    AdvantageScale scale = AdvantageScale.AS_GIVEN;
    if (ruleName.endsWith(RMS_SUFFIX)) {
      scale = AdvantageScale.BATCH_RMS;
      ruleName = ruleName.substring(0, ruleName.length() - RMS_SUFFIX.length());
    }
    AdvantageRule rule = AdvantageRule.fromShortName(ruleName);
    if (rule == AdvantageRule.GRPO) {
      throw new IllegalArgumentException("grpo takes no values: name the arm grpo");
    }
    ValueSource values = ValueSource.parse(trimmed.substring(colon + 1));
    if (!values.needsModel()) {
      throw new IllegalArgumentException("arm '" + trimmed + "' needs values other than none");
    }
    return of(rule, values, scale);
  }

  /** Arms from their names. */
  public static List<LearningArm> parse(List<String> names) {
    List<LearningArm> arms = new ArrayList<>();
    for (String name : names) {
      arms.add(parse(name));
    }
    return arms;
  }

  /**
   * What feeds the arm, for reports: {@code "grpo"}, {@code "rredcot-rudder on mc16"} or {@code
   * "rredcot-rudder on bank, batch RMS 1"}.
   */
  public String description() {
    String scaled = scale == AdvantageScale.BATCH_RMS ? ", batch RMS 1" : "";
    return rule == AdvantageRule.GRPO
        ? rule.optionValue()
        : rule.optionValue() + " on " + values.name() + scaled;
  }
}
