package dev.rredcot.pipelines;

import dev.rredcot.model.grpo.GroupAdvantages;
import dev.rredcot.pipelines.advantage.TokenAdvantages;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** How credit is computed: segmentation, value estimator and advantage rule (METHOD.md). */
public interface CreditOptions extends PipelineOptions {
  @Description(
      "Advantage rule: grpo, rredcot-reweight, rredcot-dense, rredcot-rudder, rredcot-rudder-anchored, rredcot-rudder-calibrated or rredcot-rudder-calibrated-prior; empty: the --credit preset's, else"
          + " grpo.")
  @Default.String("")
  String getCreditMethod();

  void setCreditMethod(String value);

  @Description(
      "State-value estimator: none (group-mean baseline, single segment only), answer, bank, mc,"
          + " loo or gradient; empty: the --credit preset's, else none.")
  @Default.String("")
  String getValueEstimator();

  void setValueEstimator(String value);

  @Description(
      "Segmentation: single, keyword, fixed, entropy or hybrid; empty: the --credit preset's, else"
          + " single.")
  @Default.String("")
  String getSegmentation();

  void setSegmentation(String value);

  @Description("Comma-separated cue words that start a segment (keyword and hybrid).")
  @Default.String("Wait,Alternatively,So,Therefore,Let me")
  String getCueWords();

  void setCueWords(String value);

  @Description("Segment length in tokens for fixed segmentation.")
  @Default.Integer(32)
  int getFixedTokens();

  void setFixedTokens(int value);

  @Description("Segment count the entropy merge stops at (entropy and hybrid).")
  @Default.Integer(8)
  int getTargetSegments();

  void setTargetSegments(int value);

  @Description(
      "The entropy merge also stops when no adjacent pair's summed entropy (nats) is below this.")
  @Default.Double(Double.POSITIVE_INFINITY)
  double getMergeEntropyThreshold();

  void setMergeEntropyThreshold(double value);

  @Description("Shortest segment in tokens.")
  @Default.Integer(1)
  int getMinTokensPerSegment();

  void setMinTokensPerSegment(int value);

  @Description("Longest segment in tokens; 0 means no limit.")
  @Default.Integer(0)
  int getMaxTokensPerSegment();

  void setMaxTokensPerSegment(int value);

  @Description("Most segments per trace.")
  @Default.Integer(64)
  int getMaxSegments();

  void setMaxSegments(int value);

  @Description(
      "ε in A_i = (ζ − mean) / (std + ε); the trainer's default (GroupAdvantages.DEFAULT_EPSILON).")
  @Default.Double(GroupAdvantages.DEFAULT_EPSILON)
  double getAdvantageEpsilon();

  void setAdvantageEpsilon(double value);

  @Description("β of rredcot-reweight's exponential tilt σ_k ∝ exp(β·sign(A_i)·r_k); 0 is GRPO.")
  @Default.Double(TokenAdvantages.Settings.DEFAULT_REWEIGHT_STRENGTH)
  double getReweightStrength();

  void setReweightStrength(double value);

  @Description(
      "c of rredcot-rudder, A = c·r_k + λ·A_i (and of rredcot-dense in groups whose rewards are all"
          + " equal); default 2 = 1/0.5, the largest std of a 0/1 reward.")
  @Default.Double(TokenAdvantages.Settings.DEFAULT_VALUE_SCALE)
  double getValueScale();

  void setValueScale(double value);

  @Description(
      "λ of rredcot-rudder: the share of GRPO's advantage added to c·r_k; 0 is pure RUDDER.")
  @Default.Double(0)
  double getGrpoMix();

  void setGrpoMix(double value);
}
