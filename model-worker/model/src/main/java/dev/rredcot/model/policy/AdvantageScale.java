package dev.rredcot.model.policy;

import java.util.ArrayList;
import java.util.List;

/**
 * How a training batch's advantages are scaled before the step.
 *
 * <p>The objective averages over every trace token of the batch, so at a fixed learning rate the
 * step grows with the advantages' size. GRPO's advantages are z-scores within each group (token RMS
 * about 1 over the groups it trains on); a rule whose advantages are redistributed rewards ({@code
 * rredcot-rudder}: {@code c · r_k}) is smaller wherever values move little, and it also trains on
 * groups GRPO drops. {@link #BATCH_RMS} removes that difference of size so that rules are compared
 * on where they put credit, not on how large a step they take: every advantage is divided by the
 * root mean square of the batch's token advantages. Signs, ratios between tokens and zeros are
 * kept; a batch whose advantages are all 0 is left as it is.
 */
public enum AdvantageScale {
  /** The advantages as the rule gives them. */
  AS_GIVEN,
  /** Divided by the batch's token root mean square, so that it becomes 1. */
  BATCH_RMS;

  /** {@code batch} scaled by this rule (the same list for {@link #AS_GIVEN}). */
  public List<TrainExample> apply(List<TrainExample> batch) {
    if (this == AS_GIVEN) {
      return batch;
    }
    double rms = tokenRms(batch);
    if (rms == 0) {
      return batch;
    }
    List<TrainExample> scaled = new ArrayList<>(batch.size());
    for (TrainExample example : batch) {
      float[] advantages = example.advantages().clone();
      for (int t = 0; t < advantages.length; t++) {
        advantages[t] = (float) (advantages[t] / rms);
      }
      scaled.add(
          new TrainExample(
              example.prompt(), example.traceTokens(), advantages, example.behaviourLogProbs()));
    }
    return scaled;
  }

  /** Root mean square of every token advantage of {@code batch}; 0 for an empty batch. */
  public static double tokenRms(List<TrainExample> batch) {
    double squares = 0;
    long tokens = 0;
    for (TrainExample example : batch) {
      for (float advantage : example.advantages()) {
        squares += (double) advantage * advantage;
      }
      tokens += example.advantages().length;
    }
    return tokens == 0 ? 0 : Math.sqrt(squares / tokens);
  }
}
