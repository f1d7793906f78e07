package dev.rredcot.pipelines;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** Where the policy comes from and how the model-backed stages call it. */
public interface ModelOptions extends PipelineOptions {
  @Description(
      "Preset: grpo (grpo + none + single), rredcot (rredcot-reweight + bank + hybrid) or mc"
          + " (rredcot-reweight + mc + hybrid). Fills whichever of --creditMethod, --valueEstimator"
          + " and --segmentation is not given explicitly (an explicit one wins); empty: those three"
          + " alone (default grpo + none + single).")
  @Default.String("")
  String getCredit();

  void setCredit(String value);

  @Description(
      "Checkpoint store directory; empty: $RREDCOT_HOME/checkpoints (~/.rredcot/checkpoints).")
  @Default.String("")
  String getCheckpointDir();

  void setCheckpointDir(String value);

  @Description(
      "Score every rollout with exactly this policy version of --checkpointDir (the job fails at"
          + " start when the store does not hold it, and ignores checkpoint announcements); -1:"
          + " the rollout's generating version while held, else the newest.")
  @Default.Long(-1)
  long getPolicyVersion();

  void setPolicyVersion(long value);

  @Description(
      "Policy versions each worker keeps loaded; a rollout is scored with its generating"
          + " version while held, else with the newest.")
  @Default.Integer(2)
  int getVersionsHeld();

  void setVersionsHeld(int value);

  @Description("Load new checkpoints announced on --checkpointsTopic without restarting.")
  @Default.Boolean(true)
  boolean getWatchCheckpoints();

  void setWatchCheckpoints(boolean value);

  @Description("Topic of PolicyCheckpoint announcements (on --bootstrapServers).")
  @Default.String(dev.rredcot.schemas.Topics.CHECKPOINTS)
  String getCheckpointsTopic();

  void setCheckpointsTopic(String value);

  @Description("Answer cue teacher-forced before the answer; empty: the task family's cue (A: ).")
  @Default.String("")
  String getAnswerCue();

  void setAnswerCue(String value);

  @Description("Reuse the prefix KV cache for boundary values (answer, loo, gradient).")
  @Default.Boolean(true)
  boolean getReuseKvCache();

  void setReuseKvCache(boolean value);

  @Description("Monte Carlo continuations M per boundary (valueEstimator mc).")
  @Default.Integer(8)
  int getMcSamples();

  void setMcSamples(int value);

  @Description("Most tokens per Monte Carlo continuation.")
  @Default.Integer(64)
  int getMcMaxTokens();

  void setMcMaxTokens(int value);

  @Description(
      "How continuation-bank values combine the aligned remainders: sum (log-sum-exp over the"
          + " distinct remainders), mean (the sum over their count) or per-token (the mean of"
          + " per-token probabilities).")
  @Default.String("sum")
  String getBankAggregation();

  void setBankAggregation(String value);

  @Description("Most traces per policy call.")
  @Default.Integer(64)
  int getMaxBatchTraces();

  void setMaxBatchTraces(int value);

  @Description("Most context tokens per policy call (a longer single trace still goes alone).")
  @Default.Integer(16_384)
  int getMaxBatchTokens();

  void setMaxBatchTokens(int value);
}
